// End-to-end ingest of the whole platform (issue 10): devices publish over MQTT to connectivity,
// devices decodes, data commits history; at increasing rates until latency breaks. In the same
// run, the machine's own limits for the same work: raw kafkajs produce+consume of the same uplink
// messages through the same dev broker, and PostgreSQL COPY of the same history rows.
//
//   TS_NODE_PROJECT=tools/tsconfig.tools.json node -r @swc-node/register tools/bench/pipeline/pipeline-bench.ts \
//     [--rates 1000,2500,5000,10000,20000] [--seconds 15] [--devices 400] [--workers 2] [--inflight 100]
//     [--reference-messages 20000] [--probe-ms 50] [--sampled 40]
// (see README.md)
import { createEvent } from '@urbis/contracts';
import { type BulkRow, passwordGrant, PlatformApi } from '@urbis/simulator';
import {
  applyMigrations,
  createTestDatabase,
  type Platform,
  type PostgresServer,
  startPlatform,
  startPostgresServer,
} from '@urbis/testing';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { LatencyHistogram } from '../connectivity/latency-histogram';
import type { WorkerDevice } from '../connectivity/load-worker';
import { LoadWorkers } from '../connectivity/load-workers';
import { type MeteredRole, type PhaseReading, ProcessMeter } from './process-meter';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const RATES = (args.get('rates') ?? '1000,2500,5000,10000,20000').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 15);
const DEVICES = Number(args.get('devices') ?? 400);
const WORKERS = Number(args.get('workers') ?? 2);
const INFLIGHT = Number(args.get('inflight') ?? 100);
const REFERENCE_MESSAGES = Number(args.get('reference-messages') ?? 20_000);
const PROBE_MS = Number(args.get('probe-ms') ?? 50);
const SAMPLED = Number(args.get('sampled') ?? 40);
const PAYLOAD_BYTES = 64;
const TENANT = 'alpha';
/** no2, pm25, publishedAt: the history rows one reading becomes. */
const ATTRIBUTES_PER_READING = 3;
const ENTITY_TYPE = 'AirQualityObserved';
const REFERENCE_TOPIC = 'bench.pipeline.reference.v1';
const SERVICES = ['connectivity', 'devices', 'data', 'integration', 'security'];
/** With BENCH_PROFILE_DIR, every service writes a V8 CPU profile of the first step's window there. */
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
const PROFILING_ENV: Record<string, string> = PROFILE_DIR
  ? { NODE_OPTIONS: `--require ${path.resolve('tools/bench/connectivity/cpu-profile.cjs')}`, CPU_PROFILE_DIR: PROFILE_DIR }
  : {};
/** A step whose history is still this far behind when its window closes did not sustain its rate. */
const BROKEN_P99_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

// ---------------------------------------------------------------- load generator (tools/bench/connectivity)

class LoadGenerator extends LoadWorkers {
  async connect(host: string, devices: WorkerDevice[]): Promise<{ connected: number; refused: number }> {
    const replies = await this.ask(
      this.workers.map((_, i) => ({ cmd: 'connect', host, devices: devices.filter((__, d) => d % this.workers.length === i), concurrency: 20 })),
      'connected',
    );
    return { connected: replies.reduce((sum, r) => sum + r.connected, 0), refused: replies.reduce((sum, r) => sum + r.refused, 0) };
  }

  async stream(seconds: number, ratePerSecond: number) {
    const replies = await this.ask(
      this.workers.map(() => ({ cmd: 'stream', seconds, ratePerSecond: ratePerSecond / this.workers.length, inflight: INFLIGHT, payloadBytes: PAYLOAD_BYTES })),
      'streamed',
    );
    const histogram = new LatencyHistogram();
    for (const reply of replies) histogram.add(reply.histogram);
    const sum = (key: 'acked' | 'ackedInWindow' | 'sent' | 'behind' | 'errors') => replies.reduce((total, reply) => total + reply[key], 0);
    return { sent: sum('sent'), acked: sum('acked'), ackedInWindow: sum('ackedInWindow'), behind: sum('behind'), errors: sum('errors'), pubackP50: histogram.percentile(0.5) / 1000, pubackP99: histogram.percentile(0.99) / 1000 };
  }

}

// ---------------------------------------------------------------- provisioning, through the public APIs

async function provision(platform: Platform): Promise<WorkerDevice[]> {
  const api = new PlatformApi(
    { devices: platform.services['devices']?.url ?? '', connectivity: platform.services['connectivity']?.url ?? '' },
    TENANT,
    passwordGrant(platform.idp.issuer, 'test-app', 'test-app-secret', 'pia', 'pia-pw'),
  );
  await api.createProfile({
    name: 'bench-air-quality',
    description: 'Benchmark station: NO2 and PM2.5 with the time it sent the reading',
    entityType: ENTITY_TYPE,
    codec: { type: 'json' },
    attributes: [
      { name: 'no2', source: 'no2', unitCode: 'GQ' },
      { name: 'pm25', source: 'pm25', unitCode: 'GQ' },
      { name: 'publishedAt', source: 'sentAt' },
    ],
    expectedIntervalSeconds: 3600,
  });
  const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${String(i + 1).padStart(5, '0')}`);
  const rows: BulkRow[] = ids.map((id, i) => ({
    id,
    externalId: id,
    name: `bench station ${id}`,
    profile: 'bench-air-quality',
    tags: ['urbis-bench'],
    location: { type: 'Point', coordinates: [2.15 + (i % 20) * 0.001, 41.38 + Math.floor(i / 20) * 0.001] },
  }));
  const outcome = await api.bulkProvision(rows);
  if (outcome.summary.created !== DEVICES) throw new Error(`bulk provisioning created ${outcome.summary.created} of ${DEVICES}`);
  await inParallel(ids, 8, async (id) => void (await api.changeLifecycle(id, 'active', 'pipeline benchmark')));
  const tokens = new Map<string, string>();
  await inParallel(ids, 8, async (id) => void tokens.set(id, await api.issueCredential(id, 0)));
  // connectivity learns devices and tokens from Kafka; logging in before would be refused (and security blocks the address)
  const deadline = Date.now() + 180_000;
  while (!(await api.connectivityKnows(ids[ids.length - 1] as string))) {
    if (Date.now() > deadline) throw new Error('connectivity did not learn the devices within 180 s');
    await sleep(500);
  }
  await sleep(3_000);
  const mqttPort = Number(new URL(platform.mqttUrl ?? '').port);
  return ids.map((id) => ({ clientId: `${TENANT}/${id}`, password: tokens.get(id) ?? '', topic: `urbis/${TENANT}/devices/${id}/up`, port: mqttPort }));
}

// ---------------------------------------------------------------- measuring the pipeline

/** History rows of the stations, committed (an exact count; the Device entities devices keeps have history too, left out). */
async function historyRows(data: Client): Promise<number> {
  const { rows } = await data.query<{ n: string }>(
    `SELECT count(*) AS n FROM attribute_instance WHERE tenant = $1 AND entity_id >= $2 AND entity_id < $3`,
    [TENANT, `urn:ngsi-ld:${ENTITY_TYPE}:${TENANT}:`, `urn:ngsi-ld:${ENTITY_TYPE}:${TENANT};`],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Publish-to-queryable latency, sampled: every PROBE_MS the current state of SAMPLED stations is
 * queried through the NGSI-LD API (`publishedAt`, the `sentAt` the reading carried). The current
 * state and the history are written in one transaction, so a reading visible here is committed in
 * the history too. A reading first seen in a probe is timed at that probe's answer: an upper bound,
 * at most one probe interval (plus the query) late.
 */
class QueryableProbe {
  readonly histogram = new LatencyHistogram();
  readonly roundTrips = new LatencyHistogram();
  samples = 0;
  private readonly last = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly dataUrl: string,
    private readonly token: () => Promise<string>,
    private readonly ids: readonly string[],
  ) {}

  start(window: { from: number; to: number }): void {
    this.running = true;
    this.loop = (async () => {
      const url = `${this.dataUrl}/ngsi-ld/v1/entities?type=${ENTITY_TYPE}&id=${this.ids.map(encodeURIComponent).join(',')}&attrs=publishedAt&options=keyValues&limit=1000`;
      while (this.running) {
        const asked = performance.now();
        try {
          const response = await fetch(url, { headers: { authorization: `Bearer ${await this.token()}`, 'ngsild-tenant': TENANT } });
          const entities = (await response.json()) as { id: string; publishedAt?: number }[];
          const answeredAt = Date.now();
          this.roundTrips.record((performance.now() - asked) * 1000);
          for (const entity of entities) {
            const sentAt = entity.publishedAt;
            if (typeof sentAt !== 'number' || sentAt <= (this.last.get(entity.id) ?? 0)) continue;
            this.last.set(entity.id, sentAt);
            if (sentAt < window.from || sentAt > window.to) continue;
            this.histogram.record((answeredAt - sentAt) * 1000);
            this.samples++;
          }
        } catch (error) {
          log(`probe failed: ${(error as Error).message}`);
        }
        await sleep(Math.max(0, PROBE_MS - (performance.now() - asked)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

interface Step {
  offered: number;
  sent: number;
  acked: number;
  behind: number;
  closed: number;
  /** Readings committed to the history during the window, per second. */
  committedPerSecond: number;
  /** How long after the window closed the history held every acknowledged reading. */
  catchUpSeconds: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  samples: number;
  probeRoundTripP50: number;
  pubackP50: number;
  pubackP99: number;
  /** The window: cores per process while the load ran. */
  phase: PhaseReading;
  /** From the window's start until the history caught up: CPU per process for this step's readings. */
  whole: PhaseReading;
}

async function runStep(rate: number, generator: LoadGenerator, stepProbe: QueryableProbe, data: Client, meters: { window: ProcessMeter; whole: ProcessMeter }, expectedRows: { value: number }): Promise<Step> {
  const rowsBefore = await historyRows(data);
  const from = Date.now();
  stepProbe.start({ from, to: from + SECONDS * 1000 });
  const meter = meters.window;
  meters.whole.start();
  meter.start();
  const streaming = generator.stream(SECONDS, rate);
  await sleep(SECONDS * 1000);
  const phase = meter.stop();
  const rowsAtClose = await historyRows(data);
  const load = await streaming; // and what was in flight at the close answered
  expectedRows.value += load.acked * ATTRIBUTES_PER_READING;
  const closedAt = Date.now();
  let rows = rowsAtClose;
  while (rows < expectedRows.value && Date.now() - closedAt < 120_000) {
    await sleep(250);
    rows = await historyRows(data);
  }
  const catchUpSeconds = rows >= expectedRows.value ? (Date.now() - closedAt) / 1000 : Number.POSITIVE_INFINITY;
  const whole = meters.whole.stop();
  if (rows > expectedRows.value) log(`  history has ${rows - expectedRows.value} rows more than the acknowledged readings make`);
  await sleep(2 * PROBE_MS);
  await stepProbe.stop();
  return {
    offered: rate,
    sent: load.sent,
    acked: load.ackedInWindow,
    behind: load.behind,
    closed: load.errors,
    committedPerSecond: (rowsAtClose - rowsBefore) / ATTRIBUTES_PER_READING / phase.seconds,
    catchUpSeconds,
    p50ms: stepProbe.histogram.percentile(0.5) / 1000,
    p99ms: stepProbe.histogram.percentile(0.99) / 1000,
    maxMs: stepProbe.histogram.percentile(1) / 1000,
    samples: stepProbe.samples,
    probeRoundTripP50: stepProbe.roundTrips.percentile(0.5) / 1000,
    pubackP50: load.pubackP50,
    pubackP99: load.pubackP99,
    phase,
    whole,
  };
}

// ---------------------------------------------------------------- the machine's limits for the same work

/** The uplink events connectivity would publish for the same readings, as bytes on the wire. */
function uplinkMessages(count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const deviceId = `bench-${String((i % DEVICES) + 1).padStart(5, '0')}`;
    const reading = `{"no2":${(20 + (i % 400) / 10).toFixed(1)},"pm25":${(5 + (i % 150) / 10).toFixed(1)},"sentAt":${Date.now()}}`.padEnd(PAYLOAD_BYTES, ' ');
    const event = createEvent('connectivity.uplink.received.v1', {
      tenant: TENANT,
      source: 'connectivity',
      payload: { deviceId, transport: 'mqtt', receivedAt: new Date().toISOString(), mqttTopic: `urbis/${TENANT}/devices/${deviceId}/up`, payload: Buffer.from(reading).toString('base64') },
    });
    return { key: `${TENANT}/${deviceId}`, value: JSON.stringify(event) };
  });
}

/** Raw kafkajs: one idempotent producer (acks=all, as the services') and one consumer, same process, same broker. */
async function kafkaLimit(platform: Platform, meter: ProcessMeter): Promise<{ perSecond: number; phase: PhaseReading }> {
  const messages = uplinkMessages(REFERENCE_MESSAGES);
  const kafka = new Kafka({ clientId: 'bench-reference', brokers: platform.kafka.bootstrapServers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `bench-reference-${randomUUID()}`, maxWaitTimeInMs: 50 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: REFERENCE_TOPIC, fromBeginning: true });
  let consumed = 0;
  let done: () => void = () => undefined;
  const allConsumed = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const message of batch.messages) {
        JSON.parse(message.value?.toString('utf8') ?? '{}'); // what any consumer does with it
        resolveOffset(message.offset);
        consumed++;
      }
      await commitOffsetsIfNecessary();
      if (consumed >= messages.length) done();
    },
  });
  await sleep(2_000); // joined
  meter.start();
  const started = performance.now();
  for (let i = 0; i < messages.length; i += 1000) {
    await producer.send({ topic: REFERENCE_TOPIC, acks: -1, messages: messages.slice(i, i + 1000) });
  }
  // The dev broker keeps about 5 MB per partition: a reference far beyond that loses its oldest
  // messages before they are read, and would wait here forever.
  const timedOut = await Promise.race([allConsumed.then(() => false), sleep(120_000).then(() => true)]);
  if (timedOut) {
    throw new Error(`the Kafka reference consumed ${consumed} of ${messages.length} messages in 120 s: lower --reference-messages (the dev broker drops a lagging partition's oldest messages)`);
  }
  const seconds = (performance.now() - started) / 1000;
  const phase = meter.stop();
  await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  return { perSecond: messages.length / seconds, phase };
}

/** COPY of the same history rows into the data service's own table (its migrations, its month partition), through psql. */
async function copyLimit(postgres: PostgresServer, template: Record<string, unknown>, meter: ProcessMeter): Promise<{ rowsPerSecond: number; phase: PhaseReading }> {
  const database = await createTestDatabase('bench_copy', { host: postgres.host, port: postgres.port });
  try {
    await applyMigrations('data', database.url);
    const client = new Client({ connectionString: database.url });
    client.on('error', (error) => log(`reference database connection: ${error.message}`));
    await client.connect();
    const now = new Date();
    const month = (offset: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString();
    const name = `attribute_instance_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    await client.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF attribute_instance FOR VALUES FROM ('${month(0)}') TO ('${month(1)}')`);
    await client.end();
    const rows = REFERENCE_MESSAGES * ATTRIBUTES_PER_READING;
    const lines: string[] = [];
    const attrs = ['no2', 'pm25', 'publishedAt'];
    for (let i = 0; i < rows; i++) {
      const at = new Date(now.getTime() - (rows - i)).toISOString();
      const attr = attrs[i % 3] as string;
      const instance = JSON.stringify({ ...template, value: attr === 'publishedAt' ? Date.now() : 20 + (i % 400) / 10, observedAt: at, createdAt: at, modifiedAt: at });
      const entity = `urn:ngsi-ld:${ENTITY_TYPE}:${TENANT}:bench-${String((Math.floor(i / 3) % DEVICES) + 1).padStart(5, '0')}`;
      lines.push(`${TENANT},${entity},${attr},"",${randomUUID()},${at},${at},${at},${at},f,"${instance.replace(/"/g, '""')}"`);
    }
    const csv = Buffer.from(`${lines.join('\n')}\n`);
    meter.start();
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const psql = spawn(
        'psql',
        [database.url, '-v', 'ON_ERROR_STOP=1', '-c', '\\copy attribute_instance (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, deleted, instance) FROM STDIN WITH (FORMAT csv)'],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      let stderr = '';
      psql.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      psql.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy failed (${code}): ${stderr}`))));
      psql.stdin.end(csv);
    });
    const seconds = (performance.now() - started) / 1000;
    return { rowsPerSecond: rows / seconds, phase: meter.stop() };
  } finally {
    await database.drop();
  }
}

// ---------------------------------------------------------------- the run

function devKafkaPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'dev-kafka'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The statements PostgreSQL spent the first step on (the window and its catch-up), per reading. */
async function printStatements(data: Client, readings: number): Promise<void> {
  const { rows } = await data.query<{ db: string; calls: string; ms: number; query: string }>(
    `SELECT d.datname AS db, s.calls, s.total_exec_time AS ms, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) AS query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE s.toplevel ORDER BY s.total_exec_time DESC LIMIT 25`,
  );
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  log(`PostgreSQL, first step: top statements by execution time (${fmt(total)} ms in these; µs per acknowledged reading)`);
  for (const row of rows) {
    log(`  ${((row.ms * 1000) / readings).toFixed(0).padStart(5)} µs  ${String(row.calls).padStart(7)} calls  ${row.db.replace(/^urbis_\w+?_/, '').padEnd(24)} ${row.query}`);
  }
}

function roleTable(phase: PhaseReading): string {
  return phase.roles.map((role) => `${role.name} ${role.cores.toFixed(2)} (${role.peakMb.toFixed(0)} MB)`).join(', ');
}

async function main(): Promise<void> {
  log(`${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // BENCH_PG_STATEMENTS=1: where PostgreSQL's time goes, statement by statement (after the first step).
  const statements = process.env['BENCH_PG_STATEMENTS'] === '1';
  const postgres = await startPostgresServer({
    settings: {
      max_connections: '200',
      // and the plans, with timings, of a sample of the statements over 50 ms (the server log, copied at the end)
      ...(statements && {
        shared_preload_libraries: 'pg_stat_statements,auto_explain',
        'pg_stat_statements.track': 'all',
        'auto_explain.log_min_duration': '50',
        'auto_explain.log_analyze': 'on',
        'auto_explain.log_nested_statements': 'on',
        'auto_explain.sample_rate': '0.1',
      }),
    },
  });
  let generator: LoadGenerator | undefined;
  let platform: Platform | undefined;
  try {
    platform = await startPlatform({
      database: { host: postgres.host, port: postgres.port },
      extraTopics: [REFERENCE_TOPIC],
      env: {
        ...Object.fromEntries(SERVICES.map((name) => [name, { LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn', ...PROFILING_ENV }])),
        // capacity is measured, not one device's protection against itself
        connectivity: {
          LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
          ...PROFILING_ENV,
          LIMIT_DEVICE_MESSAGES_PER_MINUTE: '1000000',
          LIMIT_TENANT_MESSAGES_PER_MINUTE: '100000000',
          LIMIT_CONNECTS_PER_ADDRESS_PER_MINUTE: '10000000',
          MQTT_CONNECT_TIMEOUT_MS: '60000',
          ...Object.fromEntries((process.env['BENCH_CONNECTIVITY_ENV'] ?? '').split(';').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
        },
      },
    });
    log('platform up; provisioning');
    const devices = await provision(platform);
    generator = new LoadGenerator(WORKERS);
    const connected = await generator.connect('127.0.0.1', devices);
    if (connected.connected !== DEVICES) throw new Error(`${connected.connected} of ${DEVICES} devices connected (${connected.refused} refused)`);
    log(`${DEVICES} devices connected`);

    const postmaster = Number(readFileSync(path.join(postgres.directory, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const loadPids = generator.pids;
    const roles: MeteredRole[] = [
      ...SERVICES.map((name) => ({ name, pids: () => [platform?.services[name]?.child.pid ?? 0] })),
      { name: 'kafka', pids: devKafkaPids },
      { name: 'postgres', pids: () => [postmaster], tree: true },
      { name: 'load generator', pids: () => loadPids },
      { name: 'bench (probe, reference clients)', pids: () => [process.pid] },
    ];
    const meter = new ProcessMeter(roles);
    const wholeMeter = new ProcessMeter(roles);
    const data = new Client({ connectionString: platform.databases['data']?.url });
    data.on('error', (error) => log(`data database connection: ${error.message}`));
    await data.connect();

    // warm: every station has its entity, the history its rows
    const expectedRows = { value: 0 };
    const warm = await generator.stream(3, Math.min(500, DEVICES * 2));
    expectedRows.value += warm.acked * ATTRIBUTES_PER_READING;
    for (let waited = 0; (await historyRows(data)) < expectedRows.value; waited += 500) {
      if (waited > 120_000) throw new Error('warm-up readings never reached the history');
      await sleep(500);
    }
    const { rows: templateRows } = await data.query<{ instance: Record<string, unknown> }>(`SELECT instance FROM attribute_instance WHERE tenant = $1 AND attr LIKE '%no2' LIMIT 1`, [TENANT]);
    log(`warm: ${warm.acked} readings in the history; one instance as stored: ${JSON.stringify(templateRows[0]?.instance)}`);

    log('reference: raw kafkajs produce + consume');
    const kafka = await kafkaLimit(platform, meter);
    log(`  ${fmt(kafka.perSecond)} messages/s; ${roleTable(kafka.phase)}; machine ${(100 * kafka.phase.machineBusy).toFixed(0)}%`);
    log('reference: COPY of the same history rows');
    const copy = await copyLimit(postgres, templateRows[0]?.instance ?? { type: 'Property', value: 0 }, meter);
    log(`  ${fmt(copy.rowsPerSecond)} rows/s = ${fmt(copy.rowsPerSecond / ATTRIBUTES_PER_READING)} readings/s; postgres ${copy.phase.roles.find((r) => r.name === 'postgres')?.cores.toFixed(2)} cores`);

    const token = passwordGrant(platform.idp.issuer, 'test-app', 'test-app-secret', 'otto', 'otto-pw');
    const sampled = devices.slice(0, SAMPLED).map((device) => `urn:ngsi-ld:${ENTITY_TYPE}:${TENANT}:${device.clientId.split('/')[1]}`);
    const steps: Step[] = [];
    for (const rate of RATES) {
      log(`step: ${fmt(rate)} readings/s for ${SECONDS} s`);
      const probe = new QueryableProbe(platform.services['data']?.url ?? '', token, sampled);
      const profiled = PROFILE_DIR !== undefined && steps.length === 0;
      const signalServices = () => SERVICES.forEach((name) => platform?.services[name]?.child.kill('SIGUSR2'));
      if (profiled) signalServices(); // starts each service's profile
      if (statements && steps.length === 0) {
        await data.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        await data.query('SELECT pg_stat_statements_reset()');
      }
      const step = await runStep(rate, generator, probe, data, { window: meter, whole: wholeMeter }, expectedRows);
      if (profiled) signalServices(); // writes it: the window and the catch-up after it
      if (statements && steps.length === 0) {
        await printStatements(data, step.acked);
        writeFileSync('/tmp/urbis-pipeline-postgres.log', postgres.log());
        log('  plans of a sample of the statements over 50 ms: /tmp/urbis-pipeline-postgres.log');
      }
      steps.push(step);
      log(
        `  acked ${fmt(step.acked / SECONDS)}/s, committed ${fmt(step.committedPerSecond)}/s, caught up ${step.catchUpSeconds.toFixed(1)} s after; ` +
          `queryable p50 ${step.p50ms.toFixed(0)} ms p99 ${step.p99ms.toFixed(0)} ms (${step.samples} samples, probe ${step.probeRoundTripP50.toFixed(0)} ms); PUBACK p99 ${step.pubackP99.toFixed(0)} ms; ` +
          `${roleTable(step.phase)}; machine ${(100 * step.phase.machineBusy).toFixed(0)}%`,
      );
      if (!Number.isFinite(step.catchUpSeconds) || step.p99ms > BROKEN_P99_MS) {
        log('  latency broke: no higher rate');
        break;
      }
    }
    const finalRows = await historyRows(data);
    await data.end();

    const limit = Math.min(kafka.perSecond, copy.rowsPerSecond / ATTRIBUTES_PER_READING);
    const sustained = steps.filter((step) => step.catchUpSeconds <= 2 && step.p99ms < 1000);
    const best = sustained.reduce((top, step) => Math.max(top, step.committedPerSecond), 0);
    console.log(`\nmachine: ${cpus().length} cores, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${DEVICES} devices, ${WORKERS} load workers, ${SECONDS} s per step`);
    console.log(`history holds ${fmt(finalRows)} rows for ${fmt(expectedRows.value)} expected (${fmt(expectedRows.value / ATTRIBUTES_PER_READING)} acknowledged readings × ${ATTRIBUTES_PER_READING}): ${finalRows === expectedRows.value ? 'every one exactly once' : 'MISMATCH'}`);
    console.log(`reference: kafkajs produce+consume ${fmt(kafka.perSecond)} msg/s; COPY ${fmt(copy.rowsPerSecond)} rows/s = ${fmt(copy.rowsPerSecond / ATTRIBUTES_PER_READING)} readings/s; the smaller: ${fmt(limit)}/s`);
    console.log(`sustained (caught up within 2 s, p99 < 1 s): ${fmt(best)} readings/s = ${(best / limit).toFixed(2)} of the smaller limit\n`);
    const names = roles.map((role) => role.name);
    console.log('| offered/s | acked/s | committed/s | caught up after (s) | queryable p50 / p99 / max (ms) | probe samples | PUBACK p50 / p99 (ms) | machine busy |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const step of steps) {
      console.log(
        `| ${fmt(step.offered)} | ${fmt(step.acked / SECONDS)}${step.behind ? ` (${fmt(step.behind)} not sent)` : ''} | ${fmt(step.committedPerSecond)} | ${Number.isFinite(step.catchUpSeconds) ? step.catchUpSeconds.toFixed(1) : '> 120'} | ` +
          `${step.p50ms.toFixed(0)} / ${step.p99ms.toFixed(0)} / ${step.maxMs.toFixed(0)} | ${step.samples} | ${step.pubackP50.toFixed(1)} / ${step.pubackP99.toFixed(0)} | ${(100 * step.phase.machineBusy).toFixed(0)}% |`,
      );
    }
    console.log(
      '\nPer process and step: cores while the load ran; CPU per reading (µs, from the window\'s start until the history caught up, over the step\'s acknowledged readings); peak memory (MB: RSS, for PostgreSQL the PSS of the postmaster and its backends)\n',
    );
    console.log(`| offered/s | ${names.join(' | ')} |`);
    console.log(`|---|${'---|'.repeat(names.length)}`);
    for (const step of steps) {
      console.log(
        `| ${fmt(step.offered)} | ${step.phase.roles
          .map((role, i) => `${role.cores.toFixed(2)} · ${fmt(((step.whole.roles[i]?.cpuSeconds ?? 0) * 1e6) / Math.max(1, step.acked))} µs · ${role.peakMb.toFixed(0)} MB`)
          .join(' | ')} |`,
      );
    }
  } finally {
    generator?.stop();
    const logDir = process.env['BENCH_LOG_DIR'];
    if (logDir && platform) {
      mkdirSync(logDir, { recursive: true });
      for (const [name, service] of Object.entries(platform.services)) writeFileSync(path.join(logDir, `${name}.log`), service.output());
    }
    await platform?.stop();
    await postgres.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
