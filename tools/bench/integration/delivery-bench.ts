// Delivery throughput of one integration service instance, and the time it takes to drain a
// backlog after an outage of the receiver, each beside a plain HTTP client posting the same
// payloads to the same local sink (the reference: no queue, no retries, no log, no events).
//
//   TS_NODE_PROJECT=tsconfig.base.json node -r ts-node/register/transpile-only -r tsconfig-paths/register \
//     tools/bench/integration/delivery-bench.ts [notifications=20000] [subscriptions=10] [backlog=100000] [outageSeconds=300]
import { createEvent, provisionedTopics } from '@urbis/contracts';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  freePort,
  startDevKafka,
  startServiceProcess,
} from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Client } from 'pg';

type Notification = ReturnType<typeof notification>;

function notification(subscription: number, seq: number, port: number) {
  return createEvent('data.notification.requested.v1', {
    tenant: 'bench',
    source: 'data',
    payload: {
      notificationId: randomUUID(),
      subscriptionId: `sub-${subscription}`,
      endpoint: { uri: `http://127.0.0.1:${port}/sub-${subscription}`, accept: 'application/json' },
      contentType: 'application/json',
      body: {
        id: `urn:ngsi-ld:Notification:${randomUUID()}`,
        type: 'Notification',
        subscriptionId: `sub-${subscription}`,
        notifiedAt: new Date().toISOString(),
        data: [
          {
            id: `urn:ngsi-ld:AirQualityObserved:sensor-${seq % 500}`,
            type: 'AirQualityObserved',
            no2: { type: 'Property', value: seq % 97, unitCode: 'GQ', observedAt: new Date().toISOString() },
            pm10: { type: 'Property', value: seq % 53, unitCode: 'GQ' },
          },
        ],
      },
    },
  });
}

/** The local receiver: counts every request (and distinct idempotency keys), answers 204. */
class Sink {
  received = 0;
  readonly keys = new Set<string>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  async up(): Promise<void> {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      req.resume();
      req.on('end', () => {
        this.received++;
        const key = req.headers['idempotency-key'];
        if (typeof key === 'string') this.keys.add(key);
        res.writeHead(204).end();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.received = 0;
    this.keys.clear();
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The reference: one keep-alive connection per subscription, each posting its payloads in order. */
async function plainClient(events: Notification[], subscriptions: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: subscriptions });
  const bySubscription = new Map<string, Notification[]>();
  for (const event of events) {
    const list = bySubscription.get(event.payload.subscriptionId) ?? [];
    list.push(event);
    bySubscription.set(event.payload.subscriptionId, list);
  }
  const post = (event: Notification) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(event.payload.body);
      const req = http.request(
        event.payload.endpoint.uri,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': event.payload.notificationId,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    [...bySubscription.values()].map(async (list) => {
      for (const event of list) await post(event);
    }),
  );
  const elapsed = Date.now() - started;
  agent.destroy();
  return elapsed;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const subscriptions = Number(process.argv[3] ?? 10);
  const backlog = Number(process.argv[4] ?? 100_000);
  const outageSeconds = Number(process.argv[5] ?? 300);

  await buildDevKafka();
  const database = await createTestDatabase('integration_bench');
  const [kafka] = await Promise.all([
    startDevKafka({
      topics: provisionedTopics(),
      brokers: 1,
      partitions: 4,
      groupInitialRebalanceDelayMs: 100,
    }),
    applyMigrations('integration', database.url),
  ]);
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  // What an operator does for a local stack: this tenant may reach loopback.
  await pg.query(
    `INSERT INTO destination_policy (tenant, allow_loopback, updated_by) VALUES ('bench', true, 'bench')`,
  );
  const sink = new Sink(await freePort());
  await sink.up();
  const service = await startServiceProcess('integration', {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    OIDC_ISSUER_URL: 'http://127.0.0.1:9/realms/urbis',
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
    HOST: '127.0.0.1',
    ...(process.env['CIRCUIT_COOLDOWN_MAX_MS'] && {
      CIRCUIT_COOLDOWN_MAX_MS: process.env['CIRCUIT_COOLDOWN_MAX_MS'],
    }),
  });
  const client = createKafka({ clientId: 'integration-bench', brokers: kafka.bootstrapServers });
  const publisher = new EventPublisher({ kafka: client });
  await publisher.connect();
  const queued = async () =>
    Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM delivery')).rows[0]?.n ?? 0);
  /** Publishes in slices, never far ahead of the intake (the dev broker drops what a consumer lags far behind on). */
  const publish = async (events: Notification[], base: number) => {
    for (let i = 0; i < events.length; i += 2000) {
      await publisher.publish('data.notification.requested.v1', events.slice(i, i + 2000), {
        key: (event) => messageKeyOf('data.notification.requested.v1', event),
      });
      await waitFor('the intake to catch up', async () => (await queued()) >= base + i - 8000, 300_000);
    }
  };
  const make = (n: number) =>
    Array.from({ length: n }, (_, i) => notification(i % subscriptions, i, sink.port));

  try {
    // 1. Steady state: notifications stream in, the receiver is up.
    const events = make(count);
    const reference = await plainClient(events, subscriptions);
    sink.reset();
    const started = Date.now();
    await publish(events, 0);
    await waitFor('every notification to arrive', () => sink.keys.size >= count, 600_000);
    const engine = Date.now() - started;
    console.log(
      `throughput, ${count} notifications over ${subscriptions} subscriptions: engine ${engine} ms = ${Math.round((count * 1000) / engine)}/s ` +
        `(Kafka in → HTTP out, per-endpoint order, log, completion events); plain client ${reference} ms = ${Math.round((count * 1000) / reference)}/s; ` +
        `requests seen ${sink.received} (duplicates ${sink.received - sink.keys.size})`,
    );

    // 2. Outage: the receiver is down while the backlog builds up, then comes back.
    await sink.down();
    sink.reset();
    const backlogEvents = make(backlog);
    const outageStarted = Date.now();
    await publish(backlogEvents, count);
    await waitFor('the backlog to be queued', async () => (await queued()) >= count + backlog, 600_000);
    const queuedIn = Date.now() - outageStarted;
    const rest = outageSeconds * 1000 - (Date.now() - outageStarted);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    const attempts = (
      await pg.query<{ n: string }>('SELECT count(*) AS n FROM delivery_attempt WHERE NOT succeeded')
    ).rows[0]?.n;
    const circuits = (
      await pg.query<{ circuit_state: string; n: string }>(
        `SELECT circuit_state::text, count(*) AS n FROM endpoint WHERE tenant = 'bench' GROUP BY 1`,
      )
    ).rows;
    await sink.up();
    const recovered = Date.now();
    await waitFor('the first delivery after the outage', () => sink.keys.size > 0, 1_200_000);
    const firstAfter = Date.now() - recovered;
    // Settled: delivered, or dead-lettered (a head that ran out of attempts during the outage).
    const settled = async () =>
      Number(
        (await pg.query<{ n: string }>(`SELECT count(*) AS n FROM delivery WHERE status <> 'pending'`))
          .rows[0]?.n ?? 0,
      );
    await waitFor('the backlog to drain', async () => (await settled()) >= count + backlog, 1_200_000);
    const drained = Date.now() - recovered;
    const deadLettered = (
      await pg.query<{ n: string }>(`SELECT count(*) AS n FROM delivery WHERE status = 'dead-lettered'`)
    ).rows[0]?.n;
    const arrived = sink.keys.size;
    sink.reset();
    const backlogReference = await plainClient(backlogEvents, subscriptions);
    console.log(
      `backlog of ${backlog} after a ${outageSeconds} s outage (queued in ${queuedIn} ms; ${attempts} failed attempts in all; circuits ${circuits
        .map((row) => `${row.circuit_state}: ${row.n}`)
        .join(
          ', ',
        )}): first delivery ${firstAfter} ms after the receiver came back, drained in ${drained} ms ` +
        `(${arrived} arrived, ${deadLettered} dead-lettered) ` +
        `(${Math.round((backlog * 1000) / Math.max(drained - firstAfter, 1))}/s once it resumed); plain client posting the same ${backlog}: ${backlogReference} ms`,
    );
  } finally {
    await publisher.disconnect().catch(() => undefined);
    await service.stop();
    await sink.down();
    await pg.end();
    await kafka.stop();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
