// NGSI-LD subscriptions benchmark (issue 6): the observation ingest at its full rate with 1,000
// subscriptions being matched, side by side with the same ingest without subscriptions (the
// reference), in the same run on the same service and database.
//
//   TS_NODE_PROJECT=tools/tsconfig.tools.json node -r @swc-node/register tools/bench/ngsi-ld-temporal/subscriptions-bench.ts [observations=10000] [subscriptions=1000] [rounds=3]
//
// The data service runs as its own process (apps/data/src/main.ts, NODE_ENV=production) on a
// fresh database with the real migrations, the dev Kafka broker and the dev IdP. The
// subscriptions belong to tenant alpha; the reference is the same observations for tenant beta,
// which has none. Rounds alternate beta and alpha, so both see the same (shared) machine. Each
// phase puts a backlog of devices.observation.decoded.v1 events on Kafka first, then measures
// how fast the service works through it (its processed-event claims, polled in its database)
// and every data.notification.requested.v1 it publishes: how many, and the match latency from
// notifiedAt (stamped in the change's transaction, just before it commits) to the record's
// Kafka timestamp (when the outbox relay produced it). Each phase also reports the CPU time per
// observation of the service process and of its PostgreSQL backends (../ngsi-ld/cpu-meter.ts).
// BENCH_CPU_PROF=<dir> and BENCH_<NAME>=value: see ../ngsi-ld/bench-service.ts.
import { createEvent, type EventOf } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { monotonicMicros, startDataForBench } from '../ngsi-ld/bench-service';
import { CpuMeter, type CpuReading, machineLoad, perOperation } from '../ngsi-ld/cpu-meter';

const OBSERVATIONS = Number(process.argv[2] ?? 10_000);
const SUBSCRIPTIONS = Number(process.argv[3] ?? 1000);
const ROUNDS = Number(process.argv[4] ?? 3);
/** A city's sensor kinds; each observation is one of their entities, each subscription watches one kind. */
const TYPES = ['AirQualityObserved', 'NoiseLevelObserved', 'ParkingSpot', 'WaterQualityObserved', 'StreetLight', 'WasteContainer', 'TrafficFlowObserved', 'WeatherObserved', 'Beach', 'BikeHireDockingStation'];
const ENTITIES_PER_TYPE = 200;
const CENTRE = [-3.7038, 40.4168];
const PUBLISH_CHUNK = 1000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (x: number) => `${x.toFixed(0)} ms`;
/** A deterministic spread: level 0-100, positions within ~2 km of the centre. */
const level = (i: number) => ((i * 7919) % 10_000) / 100;
const position = (n: number) => [CENTRE[0] + (((n * 104_729) % 400) - 200) / 10_000, CENTRE[1] + (((n * 1_299_709) % 400) - 200) / 10_000];

function observation(tenant: string, i: number, round: number): EventOf<'devices.observation.decoded.v1'> {
  const type = TYPES[i % TYPES.length] as string;
  const n = Math.floor(i / TYPES.length) % ENTITIES_PER_TYPE;
  return createEvent('devices.observation.decoded.v1', {
    tenant,
    source: 'devices',
    payload: {
      deviceId: `bench-${type}-${n}`,
      entity: { id: `urn:ngsi-ld:${type}:bench-${n}`, type },
      observedAt: new Date().toISOString(),
      attributes: [
        { name: 'level', type: 'Property', value: level(i + round * 13) },
        { name: 'status', type: 'Property', value: (i + round) % 50 === 0 ? 'fault' : 'ok' },
        { name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: position(n) } },
      ],
    },
  });
}

/**
 * The subscriptions: per sensor kind, mostly thresholds on `level` (a few per cent of the
 * observations pass each), some on `status` changes only, some around a point (geoQ).
 */
function subscription(j: number): Record<string, unknown> {
  const type = TYPES[j % TYPES.length] as string;
  const k = Math.floor(j / TYPES.length);
  const endpoint = { uri: `http://receiver.example/city/${j}`, accept: 'application/json' };
  const base = { id: `urn:ngsi-ld:Subscription:bench-${j}`, type: 'Subscription', entities: [{ type }] };
  if (k % 20 === 19) return { ...base, geoQ: { geometry: 'Point', coordinates: position(k), georel: 'near;maxDistance==150' }, notification: { format: 'keyValues', attributes: ['level'], endpoint } };
  if (k % 20 === 18) return { ...base, watchedAttributes: ['status'], q: 'status=="fault"', notification: { attributes: ['status'], endpoint } };
  return { ...base, watchedAttributes: ['level'], q: `level>${(90 + (k % 100) / 10).toFixed(1)}`, notification: { format: 'keyValues', attributes: ['level'], endpoint } };
}

interface Phase {
  observationsPerSecond: number;
  seconds: number;
  notifications: number;
  entitiesNotified: number;
  latencies: number[];
  /** From the last observation processed to the last notification on Kafka. */
  tailMs: number;
  /** From the first observation published to the last notification, idle tail left out. */
  cpu: CpuReading;
}

async function main(): Promise<void> {
  const { database, kafka, idp, service, stop } = await startDataForBench('bench_subscriptions');
  const token = await idp.passwordToken('test-app', 'test-app-secret', 'otto', 'otto-pw');
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const meterDb = new Client({ connectionString: database.url });
  await meterDb.connect();
  // The bench's own polling backend is not the service's.
  const benchPid = Number((await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const meter = new CpuMeter(service.child.pid as number, meterDb, async () => [benchPid]);
  const publisher = new EventPublisher({ kafka: createKafka({ clientId: 'subscriptions-bench', brokers: kafka.bootstrapServers, logLevel: 'nothing' }) });
  await publisher.connect();

  // Every notification the service publishes: when it was stamped, when it reached Kafka, how many entities.
  const seen: { notifiedAt: number; kafkaAt: number; entities: number }[] = [];
  const consumer = new Kafka({ clientId: 'subscriptions-bench-reader', brokers: kafka.bootstrapServers, logLevel: logLevel.NOTHING }).consumer({ groupId: 'subscriptions-bench-reader', maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['data.notification.requested.v1'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString('utf8') ?? '{}') as { payload: { body: { notifiedAt: string; data: unknown[] } } };
      seen.push({ notifiedAt: Date.parse(event.payload.body.notifiedAt), kafkaAt: Number(message.timestamp), entities: event.payload.body.data.length });
    },
  });

  const processed = async () => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM processed_event WHERE consumer = 'data.observation-ingest'")).rows[0]?.n ?? 0);

  /** Puts `OBSERVATIONS` events for the tenant on Kafka, then times the service working through them. */
  const ingest = async (tenant: string, round: number): Promise<Phase> => {
    const before = await processed();
    const seenBefore = seen.length;
    const events = Array.from({ length: OBSERVATIONS }, (_, i) => observation(tenant, i, round));
    await meter.start();
    const startedMicros = monotonicMicros();
    const started = Date.now();
    for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
      await publisher.publish('devices.observation.decoded.v1', events.slice(i, i + PUBLISH_CHUNK), { key: (event) => `${tenant}/${event.payload.entity.id}` });
    }
    let first = 0;
    let done = 0;
    for (;;) {
      const count = (await processed()) - before;
      if (count > 0 && first === 0) first = Date.now();
      if (count >= OBSERVATIONS) {
        done = Date.now();
        break;
      }
      if (Date.now() - started > 600_000) throw new Error(`only ${count} of ${OBSERVATIONS} observations processed in 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Notifications still in the outbox are lag: wait until nothing new arrives for 2 s.
    const cpu = await meter.stop();
    if (process.env['BENCH_CPU_PROF']) console.error(`profile window ${tenant}-${round} ${startedMicros} ${monotonicMicros()}`);
    let last = seen.length;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (seen.length !== last) {
        last = seen.length;
        quietSince = Date.now();
      }
    }
    const mine = seen.slice(seenBefore);
    const seconds = (done - started) / 1000;
    return {
      observationsPerSecond: OBSERVATIONS / seconds,
      seconds,
      notifications: mine.length,
      entitiesNotified: mine.reduce((sum, notification) => sum + notification.entities, 0),
      latencies: mine.map((notification) => notification.kafkaAt - notification.notifiedAt).sort((a, b) => a - b),
      tailMs: mine.length > 0 ? Math.max(0, Math.max(...mine.map((notification) => notification.kafkaAt)) - done) : 0,
      cpu,
    };
  };

  try {
    // Warm-up: every entity of both tenants exists before the rounds, so they measure updates.
    await ingest('alpha', 0);
    await ingest('beta', 0);

    const created = Date.now();
    for (let j = 0; j < SUBSCRIPTIONS; j += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, SUBSCRIPTIONS - j) }, async (_, k) => {
          const response = await fetch(`${service.url}/ngsi-ld/v1/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(subscription(j + k)) });
          if (response.status !== 201) throw new Error(`subscription ${j + k}: ${response.status} ${await response.text()}`);
        }),
      );
    }
    const creation = (Date.now() - created) / 1000;
    const references: Phase[] = [];
    const matched: Phase[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      references.push(await ingest('beta', round));
      matched.push(await ingest('alpha', round));
    }
    const median = (phases: Phase[]) => [...phases].sort((a, b) => a.observationsPerSecond - b.observationsPerSecond)[Math.floor(phases.length / 2)] as Phase;

    const row = (label: string, phase: Phase) =>
      `| ${label} | ${phase.observationsPerSecond.toFixed(0)} observations/s (${OBSERVATIONS} in ${phase.seconds.toFixed(1)} s) | ${phase.notifications} (${(phase.notifications / phase.seconds).toFixed(0)}/s, ${phase.entitiesNotified} entities) | ${phase.latencies.length ? `p50 ${ms(percentile(phase.latencies, 50))}, p95 ${ms(percentile(phase.latencies, 95))}, max ${ms(phase.latencies[phase.latencies.length - 1] as number)}` : '—'} | ${ms(phase.tailMs)} | ${perOperation(phase.cpu, OBSERVATIONS, 'observation')} | ${machineLoad(phase.cpu)} |`;
    console.log(`\nNGSI-LD subscriptions, ${OBSERVATIONS} observations per phase over ${TYPES.length * ENTITIES_PER_TYPE} entities per tenant, ${ROUNDS} rounds (${new Date().toISOString()}):\n`);
    console.log('| phase | ingest (backlog on Kafka → committed) | notifications requested | match latency (notifiedAt → on Kafka) | last notification after last observation | CPU per observation | machine |');
    console.log('|---|---|---|---|---|---|---|');
    for (let round = 0; round < ROUNDS; round++) {
      console.log(row(`round ${round + 1}, reference: tenant beta, no subscriptions`, references[round] as Phase));
      console.log(row(`round ${round + 1}, tenant alpha, ${SUBSCRIPTIONS} subscriptions`, matched[round] as Phase));
    }
    const ratio = (100 * median(matched).observationsPerSecond) / median(references).observationsPerSecond;
    console.log(`\nMedians: reference ${median(references).observationsPerSecond.toFixed(0)} observations/s, with ${SUBSCRIPTIONS} subscriptions ${median(matched).observationsPerSecond.toFixed(0)} observations/s (${ratio.toFixed(0)} %). ${SUBSCRIPTIONS} subscriptions created through the API in ${creation.toFixed(1)} s.`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await publisher.disconnect().catch(() => undefined);
    await db.end();
    await meterDb.end();
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
