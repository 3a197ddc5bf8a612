// NGSI-LD temporal benchmark (issue 6), with its reference run side by side: the same reads as
// SQL straight on the same PostgreSQL database (no HTTP, no NGSI-LD rendering).
//
//   TS_NODE_PROJECT=tools/tsconfig.tools.json node -r @swc-node/register tools/bench/ngsi-ld-temporal/temporal-bench.ts [instances=1000000] [samples=50]
//
// One attribute (`temperature` of one sensor) gets `instances` instances over 30 days. Most are
// written straight into attribute_instance with SQL (fast); 1 % arrives through
// POST /temporal/entities/{id}/attrs and 0.5 % as device observations on Kafka
// (devices.observation.decoded.v1), so both real write paths are part of the history read.
import { createEvent } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { Client } from 'pg';
import { startDataForBench } from '../ngsi-ld/bench-service';

const INSTANCES = Number(process.argv[2] ?? 1_000_000);
const SAMPLES = Number(process.argv[3] ?? 50);
const DAYS = 30;
const START = Date.UTC(2026, 9, 15);
const STEP_MS = (DAYS * 86_400_000) / INSTANCES;
const ENTITY = 'urn:ngsi-ld:Sensor:bench:1';
const TEMPERATURE = 'https://uri.etsi.org/ngsi-ld/default-context/temperature';
/** Of every 200 consecutive instants: 2 through the temporal API, 1 from Kafka, the rest by SQL. */
const viaApi = (i: number) => i % 200 < 2;
const viaKafka = (i: number) => i % 200 === 2;
const value = (i: number) => Math.round((15 + 10 * Math.sin(i / 5000) + ((i * 7919) % 100) / 50) * 100) / 100;
const instant = (i: number) => new Date(START + i * STEP_MS).toISOString();

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function timed(run: () => Promise<unknown>, times: number): Promise<string> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return `p50 ${ms(percentile(samples, 50))}, p95 ${ms(percentile(samples, 95))} (${times} requests)`;
}

async function main(): Promise<void> {
  const { database, kafka, idp, service: broker, stop } = await startDataForBench('bench_temporal');
  // The operator's token, renewed every minute (the realm's tokens are short-lived).
  let token = { value: '', at: 0 };
  const bearer = async () => {
    if (Date.now() - token.at > 60_000) token = { value: await idp.passwordToken('test-app', 'test-app-secret', 'otto', 'otto-pw'), at: Date.now() };
    return token.value;
  };
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${broker.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
    return { status: response.status, text };
  };
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const results: string[] = [];
  const reference: string[] = [];
  const publisher = new EventPublisher({ kafka: createKafka({ clientId: 'temporal-bench', brokers: kafka.bootstrapServers, logLevel: 'nothing' }) });
  try {
    // 1. load. The temporal entity first (API), then the three paths.
    await call('POST', '/ngsi-ld/v1/temporal/entities', { id: ENTITY, type: 'Sensor', temperature: { type: 'Property', value: value(0), observedAt: instant(0), unitCode: 'CEL' } });
    let started = Date.now();
    const sqlRows = `SELECT 'alpha', $1::text, $2::text, '', gen_random_uuid(), t, t, now(), now(), false,
                            jsonb_build_object('type', 'Property', 'value', round((15 + 10 * sin(i / 5000.0) + ((i * 7919) % 100) / 50.0)::numeric, 2), 'observedAt', to_jsonb(t), 'unitCode', 'CEL',
                                               'createdAt', to_jsonb(now()), 'modifiedAt', to_jsonb(now()))
                       FROM generate_series($3::bigint, $4::bigint) AS i, LATERAL (SELECT to_timestamp(($5::float8 + i * $6::float8) / 1000) AS t) ts
                      WHERE i % 200 >= 3`;
    const chunk = 100_000;
    for (let from = 1; from < INSTANCES; from += chunk) {
      await db.query(
        `INSERT INTO attribute_instance (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, deleted, instance) ${sqlRows}`,
        [ENTITY, TEMPERATURE, from, Math.min(INSTANCES - 1, from + chunk - 1), START, STEP_MS],
      );
    }
    const sqlSeconds = (Date.now() - started) / 1000;
    const indices = Array.from({ length: INSTANCES - 1 }, (_, k) => k + 1);
    const apiIndices = indices.filter(viaApi);
    started = Date.now();
    for (let k = 0; k < apiIndices.length; k += 1000) {
      const batch = apiIndices.slice(k, k + 1000).map((i) => ({ type: 'Property', value: value(i), observedAt: instant(i), unitCode: 'CEL' }));
      await call('POST', `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(ENTITY)}/attrs`, { temperature: batch });
    }
    const apiSeconds = (Date.now() - started) / 1000;
    const kafkaIndices = indices.filter(viaKafka);
    await publisher.connect();
    started = Date.now();
    for (let k = 0; k < kafkaIndices.length; k += 500) {
      const events = kafkaIndices.slice(k, k + 500).map((i) =>
        createEvent('devices.observation.decoded.v1', {
          tenant: 'alpha',
          source: 'devices',
          payload: { deviceId: 'bench-1', entity: { id: ENTITY, type: 'Sensor' }, observedAt: instant(i), attributes: [{ name: 'temperature', type: 'Property', value: value(i), unitCode: 'CEL' }] },
        }),
      );
      await publisher.publish('devices.observation.decoded.v1', events, { key: `alpha/${ENTITY}` });
    }
    const total = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attribute_instance WHERE entity_id = $1', [ENTITY])).rows[0]?.n);
    for (let deadline = Date.now() + 600_000; (await total()) < INSTANCES; ) {
      if (Date.now() > deadline) throw new Error(`only ${await total()} of ${INSTANCES} instances arrived`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const kafkaSeconds = (Date.now() - started) / 1000;
    await db.query('VACUUM ANALYZE attribute_instance');
    const inDefault = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attribute_instance_default')).rows[0]?.n);
    results.push(`| load: ${INSTANCES - 1 - apiIndices.length - kafkaIndices.length} instances by SQL (INSERT ... SELECT, 100,000 per statement) | ${sqlSeconds.toFixed(1)} s |`);
    results.push(`| load: ${apiIndices.length} instances through \`POST /temporal/entities/{id}/attrs\` (1,000 per request, sequential) | ${(apiIndices.length / apiSeconds).toFixed(0)} instances/s |`);
    results.push(`| load: ${kafkaIndices.length} observations on Kafka (published in 500s) until all are history | ${(kafkaIndices.length / kafkaSeconds).toFixed(0)} observations/s |`);
    results.push(`| instances in the history / in the default partition | ${await total()} / ${inDefault} |`);

    // 2. reads, sequential, through the broker
    const base = `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(ENTITY)}?attrs=temperature`;
    const day = (d: number) => new Date(START + d * 86_400_000).toISOString();
    const lastN = `${base}&lastN=100`;
    const between = `${base}&timerel=between&timeAt=${day(10)}&endTimeAt=${day(11)}`;
    const hourly = `${base}&options=aggregatedValues&aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&timerel=between&timeAt=${day(0)}&endTimeAt=${day(DAYS)}`;
    const check = await call('GET', hourly);
    const periods = (JSON.parse(check.text) as { temperature: { avg: unknown[] } }).temperature.avg.length;
    const cut = await call('GET', between);
    results.push(`| \`lastN=100\` | ${await timed(() => call('GET', lastN), SAMPLES)} |`);
    results.push(`| one day \`between\` (${(86_400_000 / STEP_MS).toFixed(0)} instances in range; answer ${cut.status}, cut to the 1,000 per attribute) | ${await timed(() => call('GET', between), SAMPLES)} |`);
    results.push(`| hourly \`avg,min,max\` over ${DAYS} days from midnight (${periods} periods over ${INSTANCES} instances; hourly rollups) | ${await timed(() => call('GET', hourly), SAMPLES)} |`);
    // Starting 30 s past the hour, periods are not whole rollup hours: every instance is read.
    const unaligned = `${base}&options=aggregatedValues&aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&timerel=between&timeAt=${new Date(START + 30_000).toISOString()}&endTimeAt=${day(DAYS)}`;
    results.push(`| the same from 30 s past midnight (periods not made of whole hours: every instance read) | ${await timed(() => call('GET', unaligned), Math.min(SAMPLES, 20))} |`);

    // 3. reference: the same reads as SQL on the same database
    const key = `tenant = 'alpha' AND entity_id = $1 AND attr = $2 AND dataset_id = ''`;
    reference.push(
      `| \`lastN=100\`: newest 100 rows of the series | ${await timed(() => db.query(`SELECT instance_id, ts, instance FROM attribute_instance WHERE ${key} ORDER BY ts DESC LIMIT 100`, [ENTITY, TEMPERATURE]), SAMPLES)} |`,
    );
    reference.push(
      `| one day: first 1,001 rows of the series in the day | ${await timed(() => db.query(`SELECT instance_id, ts, instance FROM attribute_instance WHERE ${key} AND ts >= $3 AND ts < $4 ORDER BY ts LIMIT 1001`, [ENTITY, TEMPERATURE, day(10), day(11)]), SAMPLES)} |`,
    );
    reference.push(
      `| hourly avg/min/max: one GROUP BY date_bin over the ${INSTANCES} instances (plain PostgreSQL plan) | ${await timed(
        () => db.query(`SELECT date_bin('1 hour', ts, $3::timestamptz) AS h, avg(num), min(num), max(num) FROM attribute_instance WHERE ${key} AND NOT deleted AND ts >= $3 AND ts < $4 GROUP BY 1 ORDER BY 1`, [ENTITY, TEMPERATURE, day(0), day(DAYS)]),
        SAMPLES,
      )} |`,
    );
    reference.push(
      `| hourly avg/min/max: the same periods from the hourly rollups (what the broker runs) | ${await timed(
        () =>
          db.query(
            `SELECT date_bin('1 hour', hour, $3::timestamptz) AS h, sum(sum) / sum(numbers) AS avg, min(min), max(max) FROM attribute_rollup WHERE ${key} AND hour >= $3 AND hour < $4 GROUP BY 1 ORDER BY 1`,
            [ENTITY, TEMPERATURE, day(0), day(DAYS)],
          ),
        SAMPLES,
      )} |`,
    );
    console.log(`\nNGSI-LD temporal, ${INSTANCES} instances of one attribute over ${DAYS} days (${new Date().toISOString()}):\n`);
    console.log('| measurement | Urbis data service |\n|---|---|');
    console.log(results.join('\n'));
    console.log('\nReference, same run, same database:\n');
    console.log('| measurement | PostgreSQL directly |\n|---|---|');
    console.log(reference.join('\n'));
  } finally {
    await publisher.disconnect().catch(() => undefined);
    await db.end();
    await stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
