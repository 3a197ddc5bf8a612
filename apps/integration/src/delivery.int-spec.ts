// The delivery engine against real receivers started here: an HTTP receiver that goes down and
// comes back, one that rate-limits, one that hangs, one that answers a huge body, redirects, a
// tenant whose policy refuses loopback, and an MQTT broker for NGSI-LD MQTT notifications.
import { createEvent, type EventOf } from '@urbis/contracts';
import { eventually, freePort, until } from '@urbis/testing';
import Aedes from 'aedes';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { type IntegrationHarness, startIntegrationHarness } from './test-support/harness.test-helpers';
import { TestReceiver } from './test-support/receiver.test-helpers';

jest.setTimeout(180_000);

type Completed = EventOf<'integration.delivery.completed.v1'>;

function notification(
  tenant: string,
  subscriptionId: string,
  uri: string,
  seq: number,
  receiverInfo?: { key: string; value: string }[],
) {
  return createEvent('data.notification.requested.v1', {
    tenant,
    source: 'data',
    payload: {
      notificationId: randomUUID(),
      subscriptionId,
      endpoint: { uri, accept: 'application/json', ...(receiverInfo && { receiverInfo }) },
      contentType: 'application/json',
      body: {
        id: `urn:ngsi-ld:Notification:${randomUUID()}`,
        type: 'Notification',
        subscriptionId,
        notifiedAt: new Date().toISOString(),
        data: [
          {
            id: 'urn:ngsi-ld:AirQualityObserved:a1',
            type: 'AirQualityObserved',
            no2: { type: 'Property', value: seq },
          },
        ],
      },
    },
  });
}

function pick(events: Completed[], correlationId: string): Completed {
  const found = events.find((event) => event.payload.correlationId === correlationId);
  if (!found) throw new Error(`no completion event for ${correlationId}`);
  return found;
}

const seqOf = (body: string) =>
  (JSON.parse(body) as { data: { no2: { value: number } }[] }).data[0]?.no2.value ?? -1;

describe('delivery engine', () => {
  let h: IntegrationHarness;
  let receiver: TestReceiver;
  let steady: TestReceiver;

  const completedFor = (correlationIds: string[]) => {
    const wanted = new Set(correlationIds);
    return h.reader
      .events('integration.delivery.completed.v1', (event) => wanted.has(event.payload.correlationId))
      .map((read) => read.event as Completed);
  };
  const waitCompleted = (correlationIds: string[], timeoutMs = 60_000) =>
    until(
      () => completedFor(correlationIds),
      (found) => new Set(found.map((event) => event.payload.correlationId)).size >= correlationIds.length,
      { timeoutMs, what: `${correlationIds.length} completion events` },
    );

  beforeAll(async () => {
    h = await startIntegrationHarness({
      DELIVERY_BACKOFF_BASE_MS: '100',
      DELIVERY_BACKOFF_MAX_MS: '1000',
      DELIVERY_MAX_ATTEMPTS: '100',
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_COOLDOWN_MS: '500',
      CIRCUIT_COOLDOWN_MAX_MS: '2000',
      DELIVERY_TIMEOUT_MS: '1500',
      DELIVERY_MAX_RESPONSE_BYTES: '4096',
    });
    [receiver, steady] = await Promise.all([TestReceiver.start(), TestReceiver.start()]);
    await h.allowLoopback('alpha');
  });
  afterAll(async () => {
    await Promise.allSettled([receiver?.down(), steady?.down()]);
    await h?.stop();
  });

  it('delivers every notification, in order, across an outage of its receiver; other endpoints are unaffected', async () => {
    const uri = receiver.url('/outage');
    const first = Array.from({ length: 10 }, (_, i) => notification('alpha', 'sub-outage', uri, i));
    await h.publish('data.notification.requested.v1', first);
    await eventually(() => receiver.at('/outage').length >= 3, { what: 'the first notifications to arrive' });

    await receiver.down();
    const during = Array.from({ length: 20 }, (_, i) => notification('alpha', 'sub-outage', uri, 10 + i));
    await h.publish('data.notification.requested.v1', during);
    // Another endpoint keeps getting its notifications while this one is down.
    const others = Array.from({ length: 5 }, (_, i) =>
      notification('alpha', 'sub-steady', steady.url('/steady'), i),
    );
    await h.publish('data.notification.requested.v1', others);
    await waitCompleted(others.map((event) => event.payload.notificationId));
    expect(steady.at('/steady').map((request) => seqOf(request.body))).toEqual([0, 1, 2, 3, 4]);

    // The outage shows: failed attempts in the log, the circuit opened.
    const endpoints = await until(
      () => h.call('operator', 'GET', '/integration/v1/endpoints'),
      (reply) =>
        (reply.body['items'] as { target: string; circuit: string }[]).some(
          (endpoint) => endpoint.target === uri && endpoint.circuit !== 'closed',
        ),
      { what: 'the circuit of the endpoint that is down to open', timeoutMs: 30_000 },
    );
    const endpoint = (
      endpoints.body['items'] as { id: string; target: string; pending: number; lastError: string }[]
    ).find((item) => item.target === uri);
    expect(endpoint?.pending).toBeGreaterThan(0);
    expect(endpoint?.lastError).toMatch(/ECONNREFUSED/);
    const failures = await h.call(
      'auditor',
      'GET',
      `/integration/v1/attempts?endpointId=${endpoint?.id}&succeeded=false`,
    );
    expect(failures.status).toBe(200);
    expect(failures.body['total']).toBeGreaterThanOrEqual(3);
    expect((failures.body['items'] as { error: string; retryAt: string }[])[0]).toMatchObject({
      error: expect.stringMatching(/ECONNREFUSED/),
      retryAt: expect.any(String),
    });

    await new Promise((resolve) => setTimeout(resolve, 1500));
    await receiver.up();
    const all = [...first, ...during];
    const completed = await waitCompleted(all.map((event) => event.payload.notificationId));

    const arrived = receiver.at('/outage').map((request) => seqOf(request.body));
    const firstSeen = arrived.filter((seq, index) => arrived.indexOf(seq) === index);
    expect(firstSeen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(completed.every((event) => event.payload.outcome === 'delivered')).toBe(true);
    expect(
      completed.every(
        (event) => event.payload.subscriptionId === 'sub-outage' && event.payload.kind === 'notification',
      ),
    ).toBe(true);
    const retried = completed.find((event) => event.payload.attempts > 1);
    expect(retried?.payload).toMatchObject({
      endpoint: uri,
      lastStatusCode: 204,
      lastFailureAt: expect.any(String),
      lastAttemptAt: expect.any(String),
    });
    const log = await h.call('auditor', 'GET', `/integration/v1/deliveries/${retried?.payload.deliveryId}`);
    expect(log.body).toMatchObject({ status: 'delivered', subscriptionId: 'sub-outage' });
    const attempts = log.body['attemptLog'] as { succeeded: boolean; error?: string }[];
    expect(attempts.length).toBe(retried?.payload.attempts);
    expect(attempts.at(-1)?.succeeded).toBe(true);
    expect(attempts.slice(0, -1).every((attempt) => !attempt.succeeded && attempt.error)).toBe(true);
    // The circuit closed again.
    const after = await h.call('operator', 'GET', `/integration/v1/endpoints/${endpoint?.id}`);
    expect(after.body).toMatchObject({ circuit: 'closed', pending: 0, consecutiveFailures: 0 });
  });

  it('honours Retry-After on 429, with the same Idempotency-Key on every attempt', async () => {
    let calls = 0;
    receiver.answer = (request) =>
      request.path === '/limited' && calls++ === 0
        ? { status: 429, headers: { 'retry-after': '2' } }
        : { status: 204 };
    const event = notification('alpha', 'sub-limited', receiver.url('/limited'), 1);
    await h.publish('data.notification.requested.v1', [event]);
    const [done] = await waitCompleted([event.payload.notificationId]);
    const requests = receiver.at('/limited');
    expect(requests).toHaveLength(2);
    expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    expect(requests.map((request) => request.headers['idempotency-key'])).toEqual([
      done?.payload.deliveryId,
      done?.payload.deliveryId,
    ]);
    expect(requests.map((request) => request.headers['urbis-attempt'])).toEqual(['1', '2']);
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    expect(done?.payload).toMatchObject({ outcome: 'delivered', attempts: 2 });
    receiver.answer = () => ({ status: 204 });
  });

  it('gives up on an endpoint that hangs after the timeout, and reads no more than the size limit', async () => {
    let hung = false;
    receiver.answer = (request) => {
      if (request.path === '/hang' && !hung) {
        hung = true;
        return 'hang';
      }
      if (request.path === '/huge') return { huge: 64 * 1024 * 1024 };
      return { status: 204 };
    };
    const hang = notification('alpha', 'sub-hang', receiver.url('/hang'), 1);
    const huge = notification('alpha', 'sub-huge', receiver.url('/huge'), 1);
    await h.publish('data.notification.requested.v1', [hang, huge]);
    const done = await waitCompleted([hang.payload.notificationId, huge.payload.notificationId]);
    const hangDone = pick(done, hang.payload.notificationId);
    expect(hangDone.payload).toMatchObject({ outcome: 'delivered', attempts: 2 });
    const hangLog = await h.call(
      'auditor',
      'GET',
      `/integration/v1/attempts?deliveryId=${hangDone.payload.deliveryId}`,
    );
    const hangAttempts = (hangLog.body['items'] as { error?: string; durationMs: number }[]).reverse();
    expect(hangAttempts[0]).toMatchObject({ error: 'no answer within 1500 ms' });
    expect(hangAttempts[0]?.durationMs).toBeLessThan(3000);
    const hugeDone = pick(done, huge.payload.notificationId);
    expect(hugeDone.payload).toMatchObject({ outcome: 'delivered', attempts: 1, lastStatusCode: 200 });
    const hugeLog = await h.call(
      'auditor',
      'GET',
      `/integration/v1/attempts?deliveryId=${hugeDone.payload.deliveryId}`,
    );
    // 64 MiB would take far longer than this to read over loopback on a loaded machine.
    expect((hugeLog.body['items'] as { durationMs: number }[])[0]?.durationMs).toBeLessThan(1500);
    receiver.answer = () => ({ status: 204 });
  });

  it('refuses loopback for a tenant that is not allowed it, and redirects into refused networks', async () => {
    const refused = notification('beta', 'sub-beta', receiver.url('/beta'), 1);
    receiver.answer = (request) =>
      request.path === '/to-metadata'
        ? { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }
        : request.path === '/moved'
          ? { status: 308, headers: { location: '/moved-here' } }
          : { status: 204 };
    const redirected = notification('alpha', 'sub-redirect', receiver.url('/to-metadata'), 1);
    const moved = notification('alpha', 'sub-moved', receiver.url('/moved'), 1);
    await h.publish('data.notification.requested.v1', [refused, redirected, moved]);
    const done = await waitCompleted([
      refused.payload.notificationId,
      redirected.payload.notificationId,
      moved.payload.notificationId,
    ]);
    const byId = (id: string) => pick(done, id).payload;

    expect(byId(refused.payload.notificationId)).toMatchObject({
      outcome: 'dead-lettered',
      attempts: 1,
      lastError: expect.stringContaining('127.0.0.1 is a loopback address, not allowed for tenant beta'),
    });
    expect(receiver.at('/beta')).toHaveLength(0);
    expect(byId(redirected.payload.notificationId)).toMatchObject({
      outcome: 'dead-lettered',
      lastError: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    expect(byId(moved.payload.notificationId)).toMatchObject({ outcome: 'delivered', lastStatusCode: 204 });
    expect(receiver.at('/moved-here')).toHaveLength(1);

    // Beta's own dead letter is visible to beta, not to alpha.
    const deliveryId = byId(refused.payload.notificationId).deliveryId;
    expect(
      (await h.call('betaOperator', 'GET', `/integration/v1/dead-letters/${deliveryId}`)).body,
    ).toMatchObject({
      status: 'dead-lettered',
      lastError: expect.stringContaining('loopback'),
    });
    expect((await h.call('operator', 'GET', `/integration/v1/dead-letters/${deliveryId}`)).status).toBe(404);
    receiver.answer = () => ({ status: 204 });
  });

  it('publishes NGSI-LD MQTT notifications with their metadata, and waits for the broker when it is down', async () => {
    const port = await freePort();
    const startBroker = async () => {
      const broker = new Aedes();
      const server: Server = createServer((socket) => broker.handle(socket));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      return { broker, server };
    };
    let running = await startBroker();
    const messages: { topic: string; payload: Record<string, unknown> }[] = [];
    running.broker.on('publish', (packet, client) => {
      if (client)
        messages.push({
          topic: packet.topic,
          payload: JSON.parse(packet.payload.toString()) as Record<string, unknown>,
        });
    });
    const uri = `mqtt://127.0.0.1:${port}/city/air/notifications`;
    const info = [
      { key: 'MQTT-QoS', value: '1' },
      { key: 'MQTT-Version', value: 'mqtt3.1.1' },
      { key: 'X-City', value: 'alpha' },
    ];
    const first = notification('alpha', 'sub-mqtt', uri, 1, info);
    await h.publish('data.notification.requested.v1', [first]);
    await waitCompleted([first.payload.notificationId]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toEqual({
      topic: 'city/air/notifications',
      payload: {
        metadata: { 'Content-Type': 'application/json', 'X-City': 'alpha' },
        body: first.payload.body,
      },
    });

    // The broker goes away; the notification waits and arrives once it is back.
    await new Promise<void>((resolve) => running.broker.close(() => resolve()));
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
    const second = notification('alpha', 'sub-mqtt', uri, 2, info);
    await h.publish('data.notification.requested.v1', [second]);
    await until(
      () => h.call('auditor', 'GET', '/integration/v1/attempts?succeeded=false&limit=1000'),
      (reply) =>
        (reply.body['items'] as { error?: string }[]).some((attempt) => attempt.error?.includes('MQTT')),
      { what: 'a failed MQTT attempt' },
    );
    running = await startBroker();
    const received: string[] = [];
    running.broker.on('publish', (packet, client) => {
      if (client) received.push(packet.payload.toString());
    });
    const [done] = await waitCompleted([second.payload.notificationId]);
    expect(done?.payload.outcome).toBe('delivered');
    expect(done?.payload.attempts).toBeGreaterThan(1);
    expect(received).toHaveLength(1);
    // A subscriber sees it too (QoS 1 through the broker).
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const got = new Promise<string>((resolve) =>
      subscriber.on('message', (_topic, payload) => resolve(payload.toString())),
    );
    await subscriber.subscribeAsync('city/air/notifications', { qos: 1 });
    const third = notification('alpha', 'sub-mqtt', uri, 3, info);
    await h.publish('data.notification.requested.v1', [third]);
    expect(JSON.parse(await got)).toMatchObject({ body: { data: [{ no2: { value: 3 } }] } });
    await subscriber.endAsync();
    await new Promise<void>((resolve) => running.broker.close(() => resolve()));
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
  });

  it('takes a redelivered notification once, and dead-letters malformed ones on Kafka', async () => {
    const event = notification('alpha', 'sub-once', receiver.url('/once'), 1);
    await h.publish('data.notification.requested.v1', [event]);
    await h.publish('data.notification.requested.v1', [event]);
    await waitCompleted([event.payload.notificationId]);
    await h.publishRaw('data.notification.requested.v1', 'alpha/sub-x', '{"not":"an event"}');
    await h.reader.waitFor((message) => message.topic === 'data.notification.requested.v1.dlq');
    const listed = await h.call(
      'auditor',
      'GET',
      `/integration/v1/deliveries?correlationId=${event.payload.notificationId}`,
    );
    expect(listed.body['total']).toBe(1);
    expect(receiver.at('/once')).toHaveLength(1);
  });

  it('answers bad requests precisely, and only with a token of the tenant', async () => {
    expect((await fetch(`${h.url}/integration/v1/deliveries`)).status).toBe(401);
    const bad = await h.call('auditor', 'GET', '/integration/v1/deliveries?status=lost&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    expect((bad.body['errors'] as { path: string }[]).map((error) => error.path).sort()).toEqual([
      'limit',
      'status',
    ]);
    const missing = await h.call('auditor', 'GET', `/integration/v1/deliveries/${randomUUID()}`);
    expect(missing.body).toMatchObject({ status: 404, code: 'delivery-not-found' });
    expect(
      (await h.call('auditor', 'POST', `/integration/v1/dead-letters/${randomUUID()}/replay`)).status,
    ).toBe(403);
    const policy = await h.call('tenantAdmin', 'PUT', '/integration/v1/destination-policy', {
      allowLoopback: true,
    });
    expect(policy.status).toBe(403);
    const wrong = await h.call(
      'platformAdmin',
      'PUT',
      '/integration/v1/destination-policy',
      { allowedNetworks: ['10.0.0.0'] },
      {
        'x-urbis-tenant': 'beta',
      },
    );
    expect(wrong.body).toMatchObject({ status: 400, errors: [{ path: 'allowedNetworks.0' }] });
  });
});
