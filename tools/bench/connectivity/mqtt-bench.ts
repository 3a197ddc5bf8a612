// MQTT ingest benchmark of connectivity (issue 3), with Mosquitto side by side, fed by the same
// load generator in the same run: C concurrent device connections publishing QoS 1 in a closed
// loop. Reports messages/s acknowledged (for connectivity: acknowledged by Kafka, acks=all, and
// counted again on the topic), publish→PUBACK p50/p99, and the broker's RSS per connection.
//
//   node -r @swc-node/register tools/bench/connectivity/mqtt-bench.ts [--connections 1000,10000] [--seconds 15]
//        [--workers 2] [--inflight 1] [--payload 64] [--only connectivity|mosquitto]
// (TS_NODE_PROJECT=tools/tsconfig.tools.json; see README.md)
import { createEvent, provisionedTopics } from '@urbis/contracts';
import { hashDeviceToken } from '@urbis/device-credentials';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  findRepoRoot,
  freePort,
  type ServiceProcess,
  startDevKafka,
  startServiceProcess,
} from '@urbis/testing';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { LatencyHistogram } from './latency-histogram';
import type { WorkerDevice } from './load-worker';
import { LoadWorkers } from './load-workers';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const CONNECTIONS = (args.get('connections') ?? '1000,10000').split(',').map(Number);
const SECONDS = Number(args.get('seconds') ?? 15);
const WORKERS = Number(args.get('workers') ?? 2);
const INFLIGHT = Number(args.get('inflight') ?? 1);
const PAYLOAD = Number(args.get('payload') ?? 64);
const ONLY = args.get('only');
/** Connectivity replicas on the same database and broker; connections are spread over them. */
const REPLICAS = Number(args.get('replicas') ?? 1);
const TENANT = 'bench';
/** Set to profile the broker during each load phase (connectivity: via cpu-profile.cjs). */
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
const UPLINKS = 'connectivity.uplink.received.v1';

interface Result {
  target: string;
  connections: number;
  connectSeconds: number;
  refused: number;
  acked: number;
  perSecond: number;
  inKafka?: number;
  p50ms: number;
  p99ms: number;
  closedUnderLoad: number;
  rssIdleMb: number;
  rssConnectedMb: number;
  rssPeakMb: number;
  kbPerConnection: number;
  cpuCores: number;
  /** Broker CPU per acknowledged message (µs): load-independent, unlike messages/s on a shared machine. */
  cpuUsPerMessage: number;
  /** The same per thread group of the broker process (event loop, GC helpers, ...). */
  threadUsPerMessage: Record<string, number>;
  /** Connectivity's Kafka produce requests during the load (kafkajs instrumentation's request durations). */
  produce?: { requests: number; averageMs: number; uplinksPerRequest: number };
  /** Share of both cores busy during the load (service, broker, load generator, everything else). */
  machineBusy: number;
  /** CPU (cores) of the load generator and the dev broker during the load. */
  otherCores: Record<string, number>;
}

const rssMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
};
/** CPU seconds of a process's threads by thread name (`node` is the event loop; V8's GC helpers, libuv's pool...). */
const threadCpuSeconds = (pid: number): Map<string, number> => {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'event loop' : (/\((.*)\)/.exec(stat)?.[1] ?? '?').replace(/[\d-]+$/, '');
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
      // utime and stime apart: system time is the kernel's work for the socket calls
      byName.set(`${name} (system)`, (byName.get(`${name} (system)`) ?? 0) + Number(fields[12]) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
};
/** Produce requests so far (count, seconds spent) and uplinks accepted, summed over the services' /metrics. */
async function produceRequests(urls: string[]): Promise<{ count: number; seconds: number; uplinks: number }> {
  const total = { count: 0, seconds: 0, uplinks: 0 };
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('connectivity_uplinks_accepted_total{')) total.uplinks += value;
      if (!line.includes('messaging_operation_name="Produce"')) continue;
      if (line.startsWith('messaging_client_operation_duration_count{')) total.count += value;
      if (line.startsWith('messaging_client_operation_duration_sum{')) total.seconds += value;
    }
  }
  return total;
}
/** Busy and total jiffies of the whole machine (all processes, other engineers' included). */
const machineCpu = (): { busy: number; total: number } => {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
};
/** The dev broker's processes, children of this one. */
const devKafkaPids = (): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'dev-kafka'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class LoadGenerator extends LoadWorkers {
  async connect(host: string, devices: WorkerDevice[]) {
    const slices = this.workers.map((_, i) => devices.filter((_, d) => d % this.workers.length === i));
    const replies = await this.ask(
      slices.map((slice) => ({ cmd: 'connect', host, devices: slice, concurrency: 100 })),
      'connected',
    );
    return {
      connected: replies.reduce((sum, reply) => sum + reply.connected, 0),
      refused: replies.reduce((sum, reply) => sum + reply.refused, 0),
      ms: Math.max(...replies.map((reply) => reply.ms)),
    };
  }

  async publish(seconds: number) {
    const replies = await this.ask(
      this.workers.map(() => ({ cmd: 'publish', seconds, inflight: INFLIGHT, payloadBytes: PAYLOAD })),
      'published',
    );
    const histogram = new LatencyHistogram();
    for (const reply of replies) histogram.add(reply.histogram);
    return {
      acked: replies.reduce((sum, reply) => sum + reply.acked, 0),
      errors: replies.reduce((sum, reply) => sum + reply.errors, 0),
      histogram,
    };
  }

  async close(): Promise<void> {
    await this.ask(
      this.workers.map(() => ({ cmd: 'close' })),
      'closed',
    );
  }

}

async function measure(
  target: string,
  pids: number[],
  host: string,
  ports: number[],
  devices: WorkerDevice[],
  kafkaCount?: () => Promise<number>,
  profile = false,
  serviceUrls: string[] = [],
): Promise<Result> {
  const generator = new LoadGenerator(WORKERS);
  try {
    await sleep(2000);
    const rss = () => pids.reduce((sum, pid) => sum + rssMb(pid), 0);
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const rssIdleMb = rss();
    const connected = await generator.connect(
      host,
      devices.map((device, i) => ({ ...device, port: ports[i % ports.length] as number })),
    );
    await sleep(3000); // let the sessions settle (status writes, GC)
    const rssConnectedMb = rss();
    let rssPeakMb = rssConnectedMb;
    const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rss())), 500);
    const kafkaBefore = await kafkaCount?.();
    const cpuBefore = cpu();
    const threadsBefore = pids.map(threadCpuSeconds);
    const machineBefore = machineCpu();
    const others = { generator: generator.pids, 'dev-kafka': devKafkaPids() };
    const othersBefore = Object.fromEntries(
      Object.entries(others).map(([name, pids]) => [name, pids.reduce((sum, p) => sum + cpuSeconds(p), 0)]),
    );
    const produceBefore = await produceRequests(serviceUrls);
    const started = Date.now();
    if (profile) pids.forEach((pid) => process.kill(pid, 'SIGUSR2'));
    const load = await generator.publish(SECONDS);
    if (profile) pids.forEach((pid) => process.kill(pid, 'SIGUSR2'));
    const elapsed = (Date.now() - started) / 1000;
    const cpuUsed = cpu() - cpuBefore;
    const threadUsPerMessage: Record<string, number> = {};
    pids.forEach((pid, i) => {
      for (const [name, seconds] of threadCpuSeconds(pid)) {
        const used = seconds - (threadsBefore[i]?.get(name) ?? 0);
        threadUsPerMessage[name] = (threadUsPerMessage[name] ?? 0) + (used * 1e6) / Math.max(1, load.acked);
      }
    });
    const cpuCores = cpuUsed / elapsed;
    const machineAfter = machineCpu();
    const machineBusy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    const otherCores = Object.fromEntries(
      Object.entries(others).map(([name, pids]) => [
        name,
        (pids.reduce((sum, p) => sum + cpuSeconds(p), 0) - (othersBefore[name] ?? 0)) / elapsed,
      ]),
    );
    clearInterval(sampler);
    const produceAfter = await produceRequests(serviceUrls);
    await sleep(1500); // the last acknowledged uplinks are on the topic before it is counted
    const inKafka = kafkaBefore === undefined || !kafkaCount ? undefined : (await kafkaCount()) - kafkaBefore;
    await generator.close();
    return {
      target,
      connections: devices.length,
      connectSeconds: connected.ms / 1000,
      refused: connected.refused,
      acked: load.acked,
      perSecond: load.acked / SECONDS,
      ...(inKafka !== undefined && { inKafka }),
      p50ms: load.histogram.percentile(0.5) / 1000,
      p99ms: load.histogram.percentile(0.99) / 1000,
      closedUnderLoad: load.errors,
      rssIdleMb,
      rssConnectedMb,
      rssPeakMb,
      kbPerConnection: ((rssConnectedMb - rssIdleMb) * 1024) / Math.max(1, connected.connected),
      cpuCores,
      cpuUsPerMessage: (cpuUsed * 1e6) / Math.max(1, load.acked),
      threadUsPerMessage,
      ...(serviceUrls.length > 0 && {
        produce: {
          requests: produceAfter.count - produceBefore.count,
          averageMs: (1000 * (produceAfter.seconds - produceBefore.seconds)) / Math.max(1, produceAfter.count - produceBefore.count),
          uplinksPerRequest: (produceAfter.uplinks - produceBefore.uplinks) / Math.max(1, produceAfter.count - produceBefore.count),
        },
      }),
      machineBusy,
      otherCores,
    };
  } finally {
    generator.stop();
  }
}

async function benchConnectivity(devices: WorkerDevice[], token: string): Promise<Result[]> {
  await buildDevKafka();
  const [kafka, database] = await Promise.all([
    startDevKafka({ topics: provisionedTopics(), groupInitialRebalanceDelayMs: 100 }),
    createTestDatabase('bench_connectivity'),
  ]);
  const admin = new Kafka({ clientId: 'bench', brokers: kafka.bootstrapServers, logLevel: logLevel.NOTHING });
  const producer = admin.producer({ idempotent: true, maxInFlightRequests: 1 });
  const client = new Client({ connectionString: database.url });
  const services: ServiceProcess[] = [];
  try {
    await Promise.all([applyMigrations('connectivity', database.url), producer.connect()]);
    // The registry as the devices service announces it: one snapshot and one credential per device.
    const tokenHash = await hashDeviceToken(token, { log2N: 10, r: 8, p: 1 });
    const changedAt = new Date().toISOString();
    for (let i = 0; i < devices.length; i += 1000) {
      const slice = devices.slice(i, i + 1000).map((device) => device.clientId.split('/')[1] as string);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic: 'devices.device.changed.v1',
            messages: slice.map((deviceId) => ({
              key: `${TENANT}/${deviceId}`,
              value: JSON.stringify(
                createEvent('devices.device.changed.v1', {
                  tenant: TENANT,
                  source: 'devices',
                  payload: {
                    deviceId,
                    profileId: 'bench',
                    state: 'active',
                    tags: [],
                    deleted: false,
                    changedAt,
                  },
                }),
              ),
            })),
          },
          {
            topic: 'devices.credentials.changed.v1',
            messages: slice.map((deviceId) => ({
              key: `${TENANT}/${deviceId}`,
              value: JSON.stringify(
                createEvent('devices.credentials.changed.v1', {
                  tenant: TENANT,
                  source: 'devices',
                  payload: {
                    deviceId,
                    credentialId: randomUUID(),
                    change: 'issued',
                    tokenHash,
                    hashAlgorithm: 'scrypt',
                    validFrom: new Date(Date.now() - 60_000).toISOString(),
                    validUntil: null,
                  },
                }),
              ),
            })),
          },
        ],
      });
    }
    const ports: number[] = [];
    // e.g. BENCH_SERVICE_ENV='UPLINK_LINGER_MS=5;NODE_OPTIONS=--max-semi-space-size=64'
    const extraEnv: Record<string, string> = Object.fromEntries(
      (process.env['BENCH_SERVICE_ENV'] ?? '')
        .split(';')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    const nodeOptions = [
      PROFILE_DIR && `--require ${path.join(findRepoRoot(), 'tools/bench/connectivity/cpu-profile.cjs')}`,
      extraEnv['NODE_OPTIONS'],
    ]
      .filter(Boolean)
      .join(' ');
    for (let replica = 1; replica <= REPLICAS; replica++) {
      const mqttPort = await freePort();
      ports.push(mqttPort);
      services.push(
        await startServiceProcess('connectivity', {
          ...(PROFILE_DIR && {
            CPU_PROFILE_DIR: PROFILE_DIR,
            BENCH_HEAP_PROFILE: process.env['BENCH_HEAP_PROFILE'] ?? '',
            BENCH_MEMORY_PROFILE: process.env['BENCH_MEMORY_PROFILE'] ?? '',
          }),
          HOST: '127.0.0.1',
          DATABASE_URL: database.url,
          KAFKA_BROKERS: kafka.bootstrapServers.join(','),
          LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
          MQTT_HOST: '127.0.0.1',
          MQTT_PORT: String(mqttPort),
          MQTT_CONNECT_TIMEOUT_MS: '60000',
          REPLICA_ID: `bench-${replica}`,
          // Capacity is measured, not the protection of one device against itself.
          LIMIT_DEVICE_MESSAGES_PER_MINUTE: '1000000',
          LIMIT_TENANT_MESSAGES_PER_MINUTE: '100000000',
          LIMIT_TENANT_CONNECTIONS: '1000000',
          LIMIT_CONNECTS_PER_ADDRESS_PER_MINUTE: '10000000',
          // Replicas join the shared commands group faster (the dev broker waits a session timeout).
          CONSUMER_SESSION_TIMEOUT_MS: '6000',
          ...extraEnv,
          ...(nodeOptions && { NODE_OPTIONS: nodeOptions }),
        }),
      );
    }
    await client.connect();
    const started = Date.now();
    for (;;) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM device_credential');
      if ((rows[0]?.n ?? 0) >= devices.length) break;
      if (Date.now() - started > 300_000)
        throw new Error(`registry cache has ${rows[0]?.n} of ${devices.length} credentials`);
      await sleep(500);
    }
    console.error(
      `registry cache filled with ${devices.length} devices in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const kafkaAdmin = admin.admin();
    await kafkaAdmin.connect();
    const kafkaCount = async () =>
      (await kafkaAdmin.fetchTopicOffsets(UPLINKS)).reduce(
        (sum, partition) => sum + Number(partition.high),
        0,
      );
    const pids = services.map((service) => service.child.pid as number);
    await sleep(500);
    const results: Result[] = [];
    for (const count of CONNECTIONS) {
      const target = REPLICAS > 1 ? `connectivity ×${REPLICAS}` : 'connectivity';
      results.push(
        await measure(
          target,
          pids,
          '127.0.0.1',
          ports,
          devices.slice(0, count),
          kafkaCount,
          Boolean(PROFILE_DIR),
          services.map((service) => service.url),
        ),
      );
      console.error(JSON.stringify(results[results.length - 1]));
    }
    await kafkaAdmin.disconnect();
    return results;
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await Promise.allSettled([producer.disconnect(), client.end()]);
    await kafka.stop();
    await database.drop();
  }
}

async function benchMosquitto(devices: WorkerDevice[]): Promise<Result[]> {
  const port = await freePort();
  const config = path.join(tmpdir(), `urbis-bench-mosquitto-${port}.conf`);
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', ''].join(
      '\n',
    ),
  );
  const broker = spawn('/usr/sbin/mosquitto', ['-c', config], { stdio: 'ignore' });
  try {
    await sleep(500);
    const results: Result[] = [];
    for (const count of CONNECTIONS) {
      results.push(
        await measure('mosquitto', [broker.pid as number], '127.0.0.1', [port], devices.slice(0, count)),
      );
      console.error(JSON.stringify(results[results.length - 1]));
    }
    return results;
  } finally {
    broker.kill();
  }
}

async function main(): Promise<void> {
  const token = 'bench-device-token-0123456789abcdef0123456789a';
  const devices: WorkerDevice[] = Array.from({ length: Math.max(...CONNECTIONS) }, (_, i) => {
    const deviceId = `meter-${String(i).padStart(5, '0')}`;
    return {
      clientId: `${TENANT}/${deviceId}`,
      password: token,
      topic: `urbis/${TENANT}/devices/${deviceId}/up`,
      port: 0,
    };
  });
  console.error(
    `${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}; ${WORKERS} load workers, ` +
      `${INFLIGHT} in flight per connection, ${PAYLOAD}-byte payloads, ${SECONDS} s per measurement`,
  );
  const results = [
    ...(ONLY !== 'mosquitto' ? await benchConnectivity(devices, token) : []),
    ...(ONLY !== 'connectivity' ? await benchMosquitto(devices) : []),
  ];
  console.log(
    '| target | connections | connect (s) | acked msg/s | in Kafka | p50 (ms) | p99 (ms) | closed | RSS idle → connected → peak (MB) | KB/connection | broker CPU (cores) | broker CPU/msg, µs (event loop + other threads; of which kernel) | load generator, dev Kafka CPU | Kafka produce requests: ms, uplinks each | machine busy |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.target} | ${r.connections.toLocaleString('en-US')} | ${r.connectSeconds.toFixed(1)} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ` +
        `${r.inKafka === undefined ? '—' : r.inKafka.toLocaleString('en-US')} | ${r.p50ms.toFixed(1)} | ${r.p99ms.toFixed(1)} | ${r.closedUnderLoad + r.refused} | ` +
        `${r.rssIdleMb.toFixed(0)} → ${r.rssConnectedMb.toFixed(0)} → ${r.rssPeakMb.toFixed(0)} | ${r.kbPerConnection.toFixed(1)} | ${r.cpuCores.toFixed(2)} | ${r.cpuUsPerMessage.toFixed(0)} (${(r.threadUsPerMessage['event loop'] ?? 0).toFixed(0)} + ${(r.cpuUsPerMessage - (r.threadUsPerMessage['event loop'] ?? 0)).toFixed(0)}; kernel ${Object.entries(r.threadUsPerMessage).filter(([name]) => name.endsWith('(system)')).reduce((sum, [, us]) => sum + us, 0).toFixed(0)}) | ${(r.otherCores['generator'] ?? 0).toFixed(2)}, ${r.target.startsWith('connectivity') ? (r.otherCores['dev-kafka'] ?? 0).toFixed(2) : '—'} | ${r.produce ? `${r.produce.averageMs.toFixed(1)}, ${r.produce.uplinksPerRequest.toFixed(0)}` : '—'} | ${(100 * r.machineBusy).toFixed(0)}% |`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
