// Faults while a district publishes: devices, data and integration are each killed with SIGKILL
// and started again on the same port and database, PostgreSQL (a server of this suite's own) is
// restarted under the running services, and the subscriber's webhook receiver is down for a
// minute. Afterwards the history holds every reading the platform acknowledged exactly once, and
// every notification the broker asked for reached the receiver.
import { dlqTopicOf } from '@urbis/contracts';
import type { District, SentReading } from '@urbis/simulator';
import {
  eventually,
  type HttpReceiver,
  type PostgresServer,
  type ReceivedRequest,
  startHttpReceiver,
  startPostgresServer,
  TopicReader,
  until,
} from '@urbis/testing';
import { type City, startCity, startTestDistrict } from './city';

const SERVICES = ['connectivity', 'devices', 'data', 'integration', 'security'];
const RECEIVER_DOWN_MS = 60_000;
const ROUND_MS = 1_000;
/** How long PostgreSQL stays stopped between `pg_ctl stop -m fast` and the next start. */
const DATABASE_DOWN_MS = 2_000;
const NOTIFIED_PATH = '/faults/air-quality';
/** The topics whose dead letters would mean a reading or a notification was given up on. */
const PIPELINE_TOPICS = [
  'connectivity.uplink.received.v1',
  'devices.observation.decoded.v1',
  'data.notification.requested.v1',
  'integration.delivery.completed.v1',
] as const;

/**
 * Integration retries on a short schedule, so that a receiver back after a minute is served
 * within seconds instead of after the defaults' backoff (up to 5 min) and open circuit (up to
 * 10 min); the code path is the same. Enough attempts that nothing is dead-lettered meanwhile.
 */
const INTEGRATION_ENV = {
  DELIVERY_BACKOFF_BASE_MS: '500',
  DELIVERY_BACKOFF_MAX_MS: '3000',
  DELIVERY_MAX_ATTEMPTS: '1000',
  CIRCUIT_COOLDOWN_MS: '1000',
  CIRCUIT_COOLDOWN_MAX_MS: '3000',
};

type Instance = { value?: unknown; object?: string; observedAt?: string; instanceId?: string };
type TemporalEntity = { id: string; type: string } & Record<string, unknown>;
interface Delivery {
  id: string;
  status: string;
  correlationId: string;
  attempts: number;
}
interface SubscriptionStatus {
  notification: { timesSent?: number; timesFailed?: number; lastSuccess?: string; lastFailure?: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const attributesOf = (entity: TemporalEntity): Record<string, Instance[]> =>
  Object.fromEntries(
    Object.entries(entity)
      .filter(([name]) => !['id', 'type', '@context'].includes(name))
      .map(([name, value]) => [name, (Array.isArray(value) ? value : [value]) as Instance[]]),
  );
const duplicates = (values: readonly (string | undefined)[]) => values.length - new Set(values).size;
const notificationIdOf = (request: ReceivedRequest) =>
  String((JSON.parse(request.body) as { id?: string }).id ?? '').replace('urn:ngsi-ld:Notification:', '');

describe('a district publishing through faults', () => {
  let postgres: PostgresServer;
  let receiver: HttpReceiver;
  let city: City;
  let district: District;
  let topics: TopicReader;
  let subscriptionId = '';
  const readings = new Map<string, SentReading[]>();
  const timeline: string[] = [];
  const refusals: string[] = [];
  let startedAt = Date.now();
  const mark = (what: string) => timeline.push(`${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  ${what}`);
  let databaseRestart: { unready: Record<string, number>; readyAfterMs: number; pids: { before: number[]; after: number[] } } | undefined;

  const entity = async (id: string) =>
    (await city.api('data', 'operator').get(`/ngsi-ld/v1/entities/${encodeURIComponent(id)}`)).status === 200;
  const history = async (id: string) => {
    const response = await city.api('data', 'operator').get<TemporalEntity>(`/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}`);
    if (response.status !== 200) throw new Error(`temporal ${id}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
    return attributesOf(response.body);
  };
  const ready = async (service: string) => {
    const url = city.platform.services[service]?.url;
    return (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200;
  };

  beforeAll(async () => {
    [postgres, receiver] = await Promise.all([startPostgresServer(), startHttpReceiver()]);
    city = await startCity({ integration: INTEGRATION_ENV }, { database: { host: postgres.host, port: postgres.port } });
    topics = await new TopicReader(city.platform.kafka.bootstrapServers, [
      'data.notification.requested.v1',
      ...PIPELINE_TOPICS.map((topic) => dlqTopicOf(topic)),
    ]).start();
    district = await startTestDistrict(city, {
      devices: { airQuality: 6, parkingSpot: 4, wasteContainer: 2, trafficCounter: 2 },
      onReading: (device, reading) => readings.set(device.id, [...(readings.get(device.id) ?? []), reading]),
      // what a device was told when a reading was not acknowledged
      log: (line) => void (/not delivered|refused/.test(line) && refusals.push(`${((Date.now() - startedAt) / 1000).toFixed(1)} s ${line.slice(0, 300)}`)),
    });

    const integration = city.api('integration', 'platformAdmin');
    expect((await integration.put('/integration/v1/destination-policy', { allowLoopback: true })).status).toBe(200);
    const created = await city.api('data', 'operator').post('/ngsi-ld/v1/subscriptions', {
      type: 'Subscription',
      entities: [{ type: 'AirQualityObserved' }],
      watchedAttributes: ['no2'],
      notification: { attributes: ['no2'], endpoint: { uri: `${receiver.url}${NOTIFIED_PATH}`, accept: 'application/json' } },
    });
    expect(created.status).toBe(201);
    subscriptionId = decodeURIComponent((created.headers.get('location') ?? '').split('/').pop() ?? '');

    // warm: one reading from every device, each an entity, and a first notification delivered
    expect(await district.publish()).toEqual({ sent: 14, acknowledged: 14, failed: 0 });
    for (const device of district.devices) {
      await eventually(() => entity(device.entityId), { timeoutMs: 60_000, everyMs: 200, what: `entity ${device.entityId}` });
    }
    await receiver.waitFor((request) => request.path === NOTIFIED_PATH, { timeoutMs: 60_000 });
  }, 600_000);

  afterAll(async () => {
    if (timeline.length > 0) console.log(`fault timeline:\n${timeline.join('\n')}\nreadings not acknowledged:\n${refusals.join('\n') || '(none)'}`);
    await district?.stop();
    await topics?.stop();
    await city?.stop();
    await Promise.all([receiver?.stop(), postgres?.stop()]);
  });

  it('keeps publishing through kill -9 of devices, data and integration, a PostgreSQL restart and a minute without the receiver', async () => {
    startedAt = Date.now();
    let publishing = true;
    const rounds = (async () => {
      while (publishing) {
        const round = Date.now();
        await district.publish();
        await sleep(Math.max(0, ROUND_MS - (Date.now() - round)));
      }
    })();
    const killAndRestart = async (service: string) => {
      const before = city.platform.services[service]?.child.pid;
      mark(`kill -9 ${service} (pid ${before})`);
      const restarted = await city.platform.restart(service);
      mark(`${service} ready again (pid ${restarted.child.pid})`);
    };

    try {
      await receiver.down();
      const downAt = Date.now();
      mark('webhook receiver down');
      await sleep(3_000);
      await killAndRestart('devices');
      await sleep(3_000);
      await killAndRestart('data');
      await sleep(3_000);

      // PostgreSQL under every service: readiness may go false, no process may exit
      const before = SERVICES.map((service) => city.platform.services[service]?.child.pid ?? 0);
      const unready: Record<string, number> = {};
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const polled = Date.now();
          const states = await Promise.all(SERVICES.map(ready));
          SERVICES.forEach((service, i) => {
            if (!states[i]) unready[service] = (unready[service] ?? 0) + 250;
          });
          await sleep(Math.max(0, 250 - (Date.now() - polled)));
        }
      })();
      mark(`PostgreSQL: pg_ctl stop -m fast, ${DATABASE_DOWN_MS} ms down, start`);
      const stoppedAt = Date.now();
      await postgres.restart({ downMs: DATABASE_DOWN_MS });
      mark('PostgreSQL accepting connections');
      await sleep(1_000); // let the services notice
      try {
        await until(
          async () => {
            const states = await Promise.all(SERVICES.map(ready));
            return SERVICES.filter((_, i) => !states[i]).map((service) => {
              const running = city.platform.services[service];
              return `${service} (exit ${String(running?.child.exitCode)}): ${running?.output().slice(-1500)}`;
            });
          },
          (notReady) => notReady.length === 0,
          { timeoutMs: 90_000, everyMs: 250, what: 'every service ready again after the database restart' },
        );
      } finally {
        watching = false;
        await watch;
      }
      const readyAfterMs = Date.now() - stoppedAt;
      const after = SERVICES.map((service) => city.platform.services[service]?.child.pid ?? 0);
      databaseRestart = { unready, readyAfterMs, pids: { before, after } };
      mark(`every service ready again, ${readyAfterMs} ms after the stop (not ready meanwhile: ${JSON.stringify(unready)})`);

      await sleep(Math.max(0, RECEIVER_DOWN_MS - (Date.now() - downAt)));
      await receiver.up();
      const upAt = Date.now();
      mark(`webhook receiver up after ${((upAt - downAt) / 1000).toFixed(0)} s`);
      // integration dies while it works through what queued up during the downtime
      await receiver.waitFor((request) => request.path === NOTIFIED_PATH && request.receivedAt.getTime() >= upAt, { timeoutMs: 60_000 });
      mark('first notification after the downtime');
      await killAndRestart('integration');
      await sleep(5_000);
    } finally {
      publishing = false;
      await rounds;
    }
    const stats = district.stats().readings;
    mark(`publishing stopped: ${stats.sent} readings sent, ${stats.acknowledged} acknowledged, ${stats.failed} not`);
    expect(stats.acknowledged).toBeGreaterThan(14 * 40);
  }, 400_000);

  it('rode over the database restart: readiness came back without any service restarting', () => {
    expect(databaseRestart).toBeDefined();
    const { pids, readyAfterMs } = databaseRestart ?? { pids: { before: [], after: [] }, readyAfterMs: 0 };
    expect(pids.after).toEqual(pids.before);
    for (const service of SERVICES) expect(city.platform.services[service]?.child.exitCode).toBeNull();
    expect(readyAfterMs).toBeLessThan(90_000);
  });

  it('holds every acknowledged reading in the history exactly once', async () => {
    const expected = () =>
      district.devices.map((device) => {
        const sent = readings.get(device.id) ?? [];
        return { device, sent: sent.length, acknowledged: sent.filter((reading) => reading.acknowledged).length };
      });
    // the pipeline catches up with what queued behind the faults
    await until(
      async () => {
        const behind: string[] = [];
        for (const { device, acknowledged } of expected()) {
          const attributes = Object.values(await history(device.entityId));
          if (attributes.length === 0 || attributes.some((instances) => instances.length < acknowledged)) behind.push(device.id);
        }
        return behind;
      },
      (behind) => behind.length === 0,
      { timeoutMs: 180_000, everyMs: 2_000, what: 'every device’s history to hold its acknowledged readings' },
    );
    await sleep(3_000); // a late redelivery would land by now

    const seen = [];
    const wanted = [];
    for (const { device, sent, acknowledged } of expected()) {
      const attributes = await history(device.entityId);
      const exact = sent === acknowledged;
      for (const [name, instances] of Object.entries(attributes)) {
        seen.push({
          instance: `${device.id}.${name}`,
          count: instances.length,
          repeatedObservedAt: duplicates(instances.map((instance) => instance.observedAt)),
          repeatedInstanceIds: duplicates(instances.map((instance) => instance.instanceId)),
        });
        // every acknowledged reading; one the platform took without the device hearing so may be there too
        const count = !exact && instances.length >= acknowledged && instances.length <= sent ? instances.length : acknowledged;
        wanted.push({ instance: `${device.id}.${name}`, count, repeatedObservedAt: 0, repeatedInstanceIds: 0 });
      }
      if (!exact) mark(`${device.id}: ${sent} sent, ${acknowledged} acknowledged, ${Object.values(attributes)[0]?.length ?? 0} in the history`);
      if (device.kind === 'airQuality' && exact) {
        // the values themselves, in the order the station sent them
        const no2 = [...(attributes['no2'] ?? [])].sort((a, b) => Date.parse(a.observedAt ?? '') - Date.parse(b.observedAt ?? ''));
        const sentNo2 = (readings.get(device.id) ?? []).map((reading) => (JSON.parse(reading.payload.toString('utf8')) as { gases: { no2: number } }).gases.no2);
        expect(no2.map((instance) => instance.value)).toEqual(sentNo2);
      }
    }
    expect(seen).toEqual(wanted);
    expect(wanted.length).toBeGreaterThanOrEqual(14 * 3);
  }, 240_000);

  it('delivered every notification; repeats carry the same notification id and Idempotency-Key', async () => {
    const requested = () =>
      new Set(
        topics
          .matching((message) => message.topic === 'data.notification.requested.v1')
          .map((message) => message.value['payload'] as { subscriptionId: string; notificationId: string })
          .filter((payload) => payload.subscriptionId === subscriptionId)
          .map((payload) => payload.notificationId),
      );
    const notified = () => receiver.requests.filter((request) => request.path === NOTIFIED_PATH);
    const data = city.api('data', 'operator');
    const subscription = async () => (await data.get<SubscriptionStatus>(`/ngsi-ld/v1/subscriptions/${encodeURIComponent(subscriptionId)}`)).body.notification;
    const deliveries = async () => {
      const response = await city.api('integration', 'operator').get<{ items: Delivery[]; total: number }>(
        `/integration/v1/deliveries?subscriptionId=${encodeURIComponent(subscriptionId)}&limit=1000`,
      );
      return response.body;
    };

    // every notification data asked for (on Kafka) reached the receiver, and the results are back
    await until(
      async () => {
        const asked = requested();
        const received = new Set(notified().map(notificationIdOf));
        const status = await subscription();
        return {
          asked: asked.size,
          missing: [...asked].filter((id) => !received.has(id)).length,
          delivered: (status.timesSent ?? 0) - (status.timesFailed ?? 0),
        };
      },
      (progress) => progress.asked > 0 && progress.missing === 0 && progress.delivered === progress.asked,
      { timeoutMs: 120_000, everyMs: 1_000, what: 'every requested notification delivered and counted' },
    );
    const asked = requested();
    const requests = notified();
    const received = new Set(requests.map(notificationIdOf));
    expect([...received].sort()).toEqual([...asked].sort()); // nothing delivered that was not asked for

    // integration's record: one delivery per notification, each delivered, its id the Idempotency-Key
    const queue = await deliveries();
    expect(queue.total).toBe(asked.size);
    expect(queue.items.filter((delivery) => delivery.status !== 'delivered')).toEqual([]);
    const keyOf = new Map(queue.items.map((delivery) => [delivery.correlationId, delivery.id]));
    const keysSeen = new Map<string, Set<string>>();
    for (const request of requests) {
      const id = notificationIdOf(request);
      keysSeen.set(id, (keysSeen.get(id) ?? new Set()).add(String(request.headers['idempotency-key'])));
    }
    for (const [id, keys] of keysSeen) expect({ id, keys: [...keys] }).toEqual({ id, keys: [keyOf.get(id)] });

    // the subscription's status: every attempt a send, the downtime's failed ones counted
    const status = await subscription();
    const attempts = queue.items.reduce((sum, delivery) => sum + delivery.attempts, 0);
    expect(status).toMatchObject({ timesSent: attempts, timesFailed: attempts - asked.size });
    expect(status.timesFailed).toBeGreaterThan(0);

    // each station's last change was notified
    for (const device of district.devices.filter((found) => found.kind === 'airQuality')) {
      const last = JSON.parse(device.lastUplink?.payload.toString('utf8') ?? '{}') as { gases: { no2: number } };
      const latest = requests
        .map((request) => JSON.parse(request.body) as { notifiedAt: string; data: { id: string; no2?: { value: number } }[] })
        .filter((notification) => notification.data.some((found) => found.id === device.entityId))
        .sort((a, b) => Date.parse(a.notifiedAt) - Date.parse(b.notifiedAt))
        .pop();
      expect(latest?.data.find((found) => found.id === device.entityId)?.no2?.value).toBe(last.gases.no2);
    }
    mark(`${asked.size} notifications requested, ${requests.length} requests received (${requests.length - received.size} repeats), ${status.timesSent} attempts, ${status.timesFailed} failed`);
  }, 180_000);

  it('dead-lettered nothing on the way', () => {
    const dead = topics.matching((message) => message.topic.endsWith('.dlq'));
    expect(dead.map((message) => `${message.topic} (${message.key}): ${message.headers['dlq-reason']}`)).toEqual([]);
  });
});
