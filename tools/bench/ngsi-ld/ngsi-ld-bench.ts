// NGSI-LD broker benchmark (issue 5), with its reference run side by side: the same work done
// directly on the same PostgreSQL database (no HTTP, no NGSI-LD, no history, no events).
//
//   TS_NODE_PROJECT=tools/tsconfig.tools.json node -r @swc-node/register tools/bench/ngsi-ld/ngsi-ld-bench.ts [entities=100000] [patchSeconds=20]
//
// The broker runs as its own process (apps/data/src/main.ts) on a fresh database with the real
// migrations, the dev Kafka broker and the dev IdP; load comes from wrk (PATCH) and from this
// process (batch upserts, sequential queries). Needs `wrk` (apt-get install wrk). Each write
// phase also reports the CPU time per operation of the service process and of its PostgreSQL
// backends (cpu-meter.ts), which the shared machine's load moves much less than the rates.
// BENCH_CPU_PROF=<dir> and BENCH_<NAME>=value: see bench-service.ts.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { monotonicMicros, startDataForBench } from './bench-service';
import { CpuMeter, machineLoad, perOperation } from './cpu-meter';
import { ActiveContext, type LocalContext } from '../../../apps/data/src/contexts/active-context';
import { CORE_CONTEXT } from '../../../apps/data/src/contexts/core-context';
import { typeSelectionSql } from '../../../apps/data/src/ngsi-ld/type-selection';
import { geoQueryToSql, parseGeoQuery, parseQ, qToSql } from '../../../apps/data/src/query';
import { SqlParams } from '../../../apps/data/src/storage/sql-params';

const ENTITIES = Number(process.argv[2] ?? 100_000);
const PATCH_SECONDS = Number(process.argv[3] ?? 20);
const WRK_CONNECTIONS = Number(process.env['BENCH_WRK_CONNECTIONS'] ?? 64);
const BATCH = 1000;
const PREFIX = 'urn:ngsi-ld:Sensor:bench:';
const core = ActiveContext.from([CORE_CONTEXT['@context'] as unknown as LocalContext]);

/** A district of sensors: temperature 0-40, 1 in 20 in fault, spread over ~10 x 10 km of Madrid. */
function sensor(i: number, temperature = (i * 37) % 4000 / 100): Record<string, unknown> {
  return {
    id: `${PREFIX}${i}`,
    type: 'Sensor',
    temperature: { type: 'Property', value: temperature, unitCode: 'CEL' },
    status: { type: 'Property', value: i % 20 === 0 ? 'fault' : 'ok' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.75 + ((i * 7919) % 1000) / 10_000, 40.38 + ((i * 104729) % 1000) / 10_000] } },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), n: sorted.length };
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function timed(run: () => Promise<unknown>, times: number): Promise<{ p50: number; p95: number; n: number }> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return stats(samples);
}

async function main(): Promise<void> {
  execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
  const { database, idp, service: broker, stop } = await startDataForBench('bench_ngsild');
  // An operator of tenant alpha: writes everything (an integrator without data-access grants writes nothing).
  const token = () => idp.passwordToken('test-app', 'test-app-secret', 'otto', 'otto-pw');
  const call = async (method: string, route: string, body?: unknown, bearer?: string) => {
    const response = await fetch(`${broker.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${bearer ?? (await token())}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
    return text;
  };
  const pool = new Pool({ connectionString: database.url, max: 32 });
  const meterDb = new Client({ connectionString: database.url });
  await meterDb.connect();
  const meter = new CpuMeter(broker.child.pid as number, meterDb);
  const results: string[] = [];
  try {
    // 1. load
    let bearer = await token();
    await meter.start();
    let started = Date.now();
    const batches = Array.from({ length: Math.ceil(ENTITIES / BATCH) }, (_, b) => b);
    for (let i = 0; i < batches.length; i += 2) {
      await Promise.all(batches.slice(i, i + 2).map((b) => call('POST', '/ngsi-ld/v1/entityOperations/upsert', Array.from({ length: Math.min(BATCH, ENTITIES - b * BATCH) }, (_, k) => sensor(b * BATCH + k)), bearer)));
    }
    const loadSeconds = (Date.now() - started) / 1000;
    let cpu = await meter.stop();
    // Statistics, as autovacuum keeps them in service: without them, right after a bulk load, the
    // planner takes a type+q for a rare match and scans the GIN index (177 ms instead of 0.3 ms).
    await pool.query('ANALYZE entity, entity_geo');
    results.push(`| create ${ENTITIES} entities (batch upsert, 1,000 per request, 2 in flight) | ${(ENTITIES / loadSeconds).toFixed(0)} entities/s (${loadSeconds.toFixed(1)} s) | ${perOperation(cpu, ENTITIES, 'entity')} | ${machineLoad(cpu)} |`);

    // 2. PATCH throughput (wrk, 64 connections unless BENCH_WRK_CONNECTIONS says otherwise)
    bearer = await token();
    await meter.start();
    const patchStarted = monotonicMicros();
    const wrk = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', ['-t2', `-c${WRK_CONNECTIONS}`, `-d${PATCH_SECONDS}s`, '--timeout', '10s', '-s', path.join(__dirname, 'wrk-patch.lua'), broker.url], {
        env: { ...process.env, BENCH_TOKEN: bearer, BENCH_PREFIX: PREFIX, BENCH_ENTITIES: String(ENTITIES) },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
    });
    cpu = await meter.stop();
    if (process.env['BENCH_CPU_PROF']) console.error(`profile window patch ${patchStarted} ${monotonicMicros()}`);
    const patch = JSON.parse(/WRK (\{.*\})/.exec(wrk)?.[1] ?? '{}') as { requests: number; seconds: number; errors: number; non2xx: number; p50: number; p95: number; p99: number };
    // A refused or failed PATCH is cheap: a run with any would measure the wrong thing.
    if (patch.non2xx > 0) throw new Error(`${patch.non2xx} of ${patch.requests} PATCH requests were not answered 2xx`);
    results.push(`| attribute PATCH (\`PATCH /entities/{id}/attrs\`, wrk ${WRK_CONNECTIONS} connections, ${PATCH_SECONDS} s) | ${(patch.requests / patch.seconds).toFixed(0)} requests/s, p50 ${ms(patch.p50)}, p99 ${ms(patch.p99)}, errors ${patch.errors + patch.non2xx} | ${perOperation(cpu, patch.requests, 'request')} | ${machineLoad(cpu)} |`);

    // 3. queries, sequential, at ENTITIES entities
    bearer = await token();
    const queries: [string, string][] = [
      ['`type=Sensor&q=temperature>35` (limit 20)', `/ngsi-ld/v1/entities?type=Sensor&q=${encodeURIComponent('temperature>35')}`],
      ['`type=Sensor&q=status=="fault";temperature>39`', `/ngsi-ld/v1/entities?type=Sensor&q=${encodeURIComponent('status=="fault";temperature>39')}`],
      ['`type=Sensor&q=status=="fault"&count=true`', `/ngsi-ld/v1/entities?type=Sensor&count=true&q=${encodeURIComponent('status=="fault"')}`],
    ];
    for (const [label, route] of queries) {
      await call('GET', route, undefined, bearer);
      const latency = await timed(() => call('GET', route, undefined, bearer), 200);
      results.push(`| ${label} | p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)} (${latency.n} requests) | | |`);
    }
    let n = 0;
    const nearRoute = () => {
      const lon = -3.75 + ((n * 131) % 1000) / 10_000;
      const lat = 40.38 + ((n++ * 173) % 1000) / 10_000;
      return `/ngsi-ld/v1/entities?type=Sensor&georel=${encodeURIComponent('near;maxDistance==300')}&geometry=Point&coordinates=${encodeURIComponent(`[${lon},${lat}]`)}`;
    };
    const near = await timed(() => call('GET', nearRoute(), undefined, bearer), 200);
    results.push(`| \`near;maxDistance==300\` geo-query, type=Sensor | p50 ${ms(near.p50)}, p95 ${ms(near.p95)} (${near.n} requests) | | |`);

    // 4. batch upsert throughput (updates of existing entities)
    const rounds = Math.min(20, batches.length);
    await meter.start();
    started = Date.now();
    for (let b = 0; b < rounds; b += 2) {
      await Promise.all([b, b + 1].filter((x) => x < rounds).map((x) => call('POST', '/ngsi-ld/v1/entityOperations/upsert?options=update', Array.from({ length: BATCH }, (_, k) => sensor(x * BATCH + k, 20)), bearer)));
    }
    const upsertSeconds = (Date.now() - started) / 1000;
    cpu = await meter.stop();
    results.push(`| batch upsert of existing entities (options=update, 1,000 per request, 2 in flight) | ${((rounds * BATCH) / upsertSeconds).toFixed(0)} entities/s | ${perOperation(cpu, rounds * BATCH, 'entity')} | ${machineLoad(cpu)} |`);

    // Reference: the same work on the same database, straight SQL.
    const reference: string[] = [];
    const temperatureIri = core.expandTerm('temperature');
    // The pool's connections first, so the meter sees their backends from the start.
    await Promise.all(Array.from({ length: 32 }, () => pool.query('SELECT 1')));
    await meter.start();
    const deadline = Date.now() + PATCH_SECONDS * 1000;
    let updates = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (Date.now() < deadline) {
          const id = `${PREFIX}${Math.floor(Math.random() * ENTITIES)}`;
          await pool.query(`UPDATE entity SET attrs = jsonb_set(attrs, ARRAY[$3, '0', 'value'], to_jsonb($4::float)), modified_at = now() WHERE tenant = $1 AND id = $2`, ['alpha', id, temperatureIri, Math.random() * 40]);
          updates++;
        }
      }),
    );
    cpu = await meter.stop();
    reference.push(`| the same attribute update as one SQL UPDATE (pg, 32 connections) | ${(updates / PATCH_SECONDS).toFixed(0)} updates/s | ${perOperation(cpu, updates, 'update')} (service idle) | ${machineLoad(cpu)} |`);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    for (const [label, text] of [['type+q `temperature>35`', 'temperature>35'], ['type+q `status=="fault";temperature>39`', 'status=="fault";temperature>39']] as const) {
      const params = new SqlParams();
      const where = `e.tenant = ${params.add('alpha')} AND ${typeSelectionSql([[core.expandTerm('Sensor')]], params)} AND (${qToSql(parseQ(text, { expand: (t) => core.expandTerm(t) }), 'e', params)})`;
      const sql = `SELECT e.id, e.attrs FROM entity e WHERE ${where} ORDER BY e.pk LIMIT 20`;
      const latency = await timed(() => client.query(sql, params.values), 200);
      reference.push(`| ${label}: the broker's own SQL, run directly | p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)} | | |`);
    }
    const geo = parseGeoQuery({ georel: 'near;maxDistance==300', geometry: 'Point', coordinates: '[-3.70,40.42]' }, { expand: (t) => core.expandTerm(t) });
    if (geo) {
      const params = new SqlParams();
      const sql = `SELECT e.id, e.attrs FROM entity e WHERE e.tenant = ${params.add('alpha')} AND ${geoQueryToSql(geo, 'e', params)} ORDER BY e.pk LIMIT 20`;
      const latency = await timed(() => client.query(sql, params.values), 200);
      reference.push(`| near geo-query: the broker's own SQL, run directly | p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)} | | |`);
    }
    await client.end();
    const scratch = await pool.connect();
    try {
      await scratch.query('CREATE TEMP TABLE scratch (LIKE entity INCLUDING DEFAULTS)');
      started = Date.now();
      for (let b = 0; b < batches.length; b++) {
        const rows = Array.from({ length: Math.min(BATCH, ENTITIES - b * BATCH) }, (_, k) => ({ id: `${PREFIX}${b * BATCH + k}`, attrs: sensor(b * BATCH + k) }));
        await scratch.query(
          `INSERT INTO scratch (tenant, id, types, attrs, created_at, modified_at)
           SELECT 'alpha', r.id, ARRAY['Sensor'], r.attrs, now(), now() FROM jsonb_to_recordset($1::jsonb) AS r(id text, attrs jsonb)`,
          [JSON.stringify(rows)],
        );
      }
      const insertSeconds = (Date.now() - started) / 1000;
      reference.push(`| insert the same ${ENTITIES} rows in batches of 1,000 (one statement each, no indexes) | ${(ENTITIES / insertSeconds).toFixed(0)} rows/s | | |`);
    } finally {
      scratch.release();
    }

    console.log(`\nNGSI-LD broker, ${ENTITIES} entities (${new Date().toISOString()}):\n`);
    console.log('| measurement | Urbis data service | CPU per operation | machine |\n|---|---|---|---|');
    console.log(results.join('\n'));
    console.log('\nReference, same run, same database:\n');
    console.log('| measurement | PostgreSQL directly | CPU per operation | machine |\n|---|---|---|---|');
    console.log(reference.join('\n'));
  } finally {
    await meterDb.end();
    await pool.end();
    await stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
