// End to end: the data service (in this process) matches, the integration service (its main.ts
// in a child process, its own database, the same dev broker and dev IdP) delivers to a real HTTP
// server and to Mosquitto started for the test, and its delivery results come back as the
// subscription's status. Observations enter as devices.observation.decoded.v1, as devices publishes them.
import { createEvent } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import {
  applyMigrations,
  createTestDatabase,
  eventually,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  until,
} from '@urbis/testing';
import mqtt from 'mqtt';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BrokerHarness,
  CORE_CONTEXT_URL,
  contextLink,
  entityId,
  startBroker,
} from '../test-support/broker.test-helpers';

jest.setTimeout(120_000);

type Json = Record<string, unknown>;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Json;
  at: number;
}

/** A notification receiver: records every POST, answers 500 on paths under /failing, 200 elsewhere. */
class Receiver {
  readonly received: Received[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.received.push({
          path: request.url ?? '',
          headers: request.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json,
          at: Date.now(),
        });
        response.writeHead(request.url?.startsWith('/failing') ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('subscriptions end to end: observation in, notification delivered, status back', () => {
  let broker: BrokerHarness;
  let integrationDb: TestDatabase;
  let integration: ServiceProcess;
  let receiver: Receiver;
  let publisher: EventPublisher;
  let path = 0;
  const nextPath = () => `/notify/${++path}`;

  const subscribe = async (body: Json): Promise<string> => {
    const id = `urn:ngsi-ld:Subscription:e2e-${Date.now().toString(36)}-${++path}`;
    const created = await broker.call('POST', '/ngsi-ld/v1/subscriptions', {
      body: { id, type: 'Subscription', ...body },
    });
    if (created.status !== 201)
      throw new Error(`subscription not created: ${created.status} ${created.text}`);
    return id;
  };
  const subscription = async (id: string) =>
    (await broker.call<Json>('GET', `/ngsi-ld/v1/subscriptions/${id}`)).body;
  const patchAttrs = async (id: string, attrs: Json) =>
    expect((await broker.call('PATCH', `/ngsi-ld/v1/entities/${id}/attrs`, { body: attrs })).status).toBe(
      204,
    );
  const receivedAt = (where: string, count = 1) =>
    until(
      () => receiver.at(where),
      (found) => found.length >= count,
      { what: `${count} notification(s) at ${where}`, timeoutMs: 30_000 },
    );
  const observation = (entity: string, no2: number) =>
    createEvent('devices.observation.decoded.v1', {
      tenant: 'alpha',
      source: 'devices',
      payload: {
        deviceId: 'aq-e2e',
        entity: { id: entity, type: 'AirQualityObserved' },
        observedAt: new Date().toISOString(),
        attributes: [
          { name: 'no2', type: 'Property', value: no2, unitCode: 'GQ' },
          { name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7, 40.4] } },
        ],
      },
    });

  beforeAll(async () => {
    broker = await startBroker('data_delivery', { NGSILD_PERIODIC_TICK_MS: '200' });
    integrationDb = await createTestDatabase('integration_for_data');
    await applyMigrations('integration', integrationDb.url);
    integration = await startServiceProcess(
      'integration',
      {
        HOST: '127.0.0.1',
        DATABASE_URL: integrationDb.url,
        KAFKA_BROKERS: broker.kafka.bootstrapServers.join(','),
        OIDC_ISSUER_URL: broker.idp.issuer,
        LOG_LEVEL: 'warn',
        DELIVERY_POLL_INTERVAL_MS: '50',
        DELIVERY_MAX_ATTEMPTS: '3',
        DELIVERY_BACKOFF_BASE_MS: '100',
        DELIVERY_BACKOFF_MAX_MS: '300',
        CIRCUIT_FAILURE_THRESHOLD: '1000',
      },
      90_000,
    );
    // Loopback receivers are refused unless the tenant's destination policy allows them (a platform admin's decision).
    const allowed = await fetch(`${integration.url}/integration/v1/destination-policy`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${await broker.token('platformAdmin')}`,
        'content-type': 'application/json',
        'x-urbis-tenant': 'alpha',
      },
      body: JSON.stringify({ allowLoopback: true }),
    });
    if (allowed.status !== 200)
      throw new Error(`loopback not allowed: ${allowed.status} ${await allowed.text()}`);
    receiver = await Receiver.start();
    publisher = new EventPublisher({
      kafka: createKafka({
        clientId: 'subscriptions-e2e',
        brokers: broker.kafka.bootstrapServers,
        logLevel: 'nothing',
      }),
    });
    await publisher.connect();
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await receiver?.stop();
    await integration?.stop();
    await integrationDb?.drop();
    await broker?.stop();
  });

  it('delivers the notification of an observation to an HTTP endpoint, in the requested format, and records the delivery', async () => {
    const where = nextPath();
    const entity = entityId('AirQualityObserved');
    const id = await subscribe({
      entities: [{ type: 'AirQualityObserved' }],
      watchedAttributes: ['no2'],
      q: 'no2>25',
      notification: {
        format: 'keyValues',
        attributes: ['no2', 'location'],
        endpoint: {
          uri: receiver.url(where),
          accept: 'application/json',
          receiverInfo: [{ key: 'X-City-Token', value: 'madrid-42' }],
        },
      },
    });
    await publisher.publish('devices.observation.decoded.v1', [observation(entity, 20)], {
      key: `alpha/${entity}`,
    });
    await publisher.publish('devices.observation.decoded.v1', [observation(entity, 30)], {
      key: `alpha/${entity}`,
    });
    const [notification] = await receivedAt(where);
    expect(notification?.headers['content-type']).toBe('application/json');
    expect(notification?.headers['link']).toBe(contextLink(CORE_CONTEXT_URL));
    expect(notification?.headers['x-city-token']).toBe('madrid-42');
    expect(notification?.body).toEqual({
      id: expect.stringMatching(/^urn:ngsi-ld:Notification:[0-9a-f-]{36}$/),
      type: 'Notification',
      subscriptionId: id,
      notifiedAt: expect.any(String),
      triggerReason: 'attributeUpdated',
      data: [
        {
          id: entity,
          type: 'AirQualityObserved',
          no2: 30,
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
        },
      ],
    });
    const status = await until(
      () => subscription(id),
      (read) => (read['notification'] as Json)['timesSent'] === 1,
      { what: 'the delivery to be recorded', timeoutMs: 30_000 },
    );
    expect(status['notification']).toMatchObject({
      timesSent: 1,
      timesFailed: 0,
      status: 'ok',
      lastNotification: expect.any(String),
      lastSuccess: expect.any(String),
    });
    expect(status['notification']).not.toHaveProperty('lastFailure');
    expect(receiver.at(where)).toHaveLength(1);
  });

  it('records a failing endpoint: every attempt sent, every one failed, status failed', async () => {
    const where = `/failing${nextPath()}`;
    const entity = entityId('AirQualityObserved');
    const id = await subscribe({
      entities: [{ type: 'AirQualityObserved', id: entity }],
      notification: { endpoint: { uri: receiver.url(where) } },
    });
    await publisher.publish('devices.observation.decoded.v1', [observation(entity, 10)], {
      key: `alpha/${entity}`,
    });
    const status = await until(
      () => subscription(id),
      (read) => (read['notification'] as Json)['status'] === 'failed',
      { what: 'the failure to be recorded', timeoutMs: 30_000 },
    );
    expect(status['notification']).toMatchObject({
      timesSent: 3,
      timesFailed: 3,
      lastFailure: expect.any(String),
      lastNotification: expect.any(String),
    });
    expect(status['notification']).not.toHaveProperty('lastSuccess');
    expect(receiver.at(where)).toHaveLength(3);
  });

  it('keeps one subscription’s notifications in order', async () => {
    const where = nextPath();
    const entity = entityId('AirQualityObserved');
    expect(
      (
        await broker.call('POST', '/ngsi-ld/v1/entities', {
          body: { id: entity, type: 'AirQualityObserved', no2: { type: 'Property', value: 0 } },
        })
      ).status,
    ).toBe(201);
    const id = await subscribe({
      entities: [{ type: 'AirQualityObserved', id: entity }],
      notification: { format: 'keyValues', attributes: ['no2'], endpoint: { uri: receiver.url(where) } },
    });
    for (let value = 1; value <= 15; value++) await patchAttrs(entity, { no2: { type: 'Property', value } });
    const received = await receivedAt(where, 15);
    expect(received.map((request) => ((request.body['data'] as Json[])[0] as Json)['no2'])).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    await until(
      () => subscription(id),
      (read) => (read['notification'] as Json)['timesSent'] === 15,
      { what: 'every delivery to be recorded', timeoutMs: 30_000 },
    );
  });

  it('throttles, and delivers nothing while paused or once expired', async () => {
    const throttledAt = nextPath();
    const pausedAt = nextPath();
    const entity = entityId('AirQualityObserved');
    expect(
      (
        await broker.call('POST', '/ngsi-ld/v1/entities', {
          body: { id: entity, type: 'AirQualityObserved', no2: { type: 'Property', value: 0 } },
        })
      ).status,
    ).toBe(201);
    const select = { entities: [{ type: 'AirQualityObserved', id: entity }] };
    await subscribe({
      ...select,
      throttling: 2,
      notification: {
        format: 'keyValues',
        attributes: ['no2'],
        endpoint: { uri: receiver.url(throttledAt) },
      },
    });
    const paused = await subscribe({
      ...select,
      isActive: false,
      notification: { format: 'keyValues', attributes: ['no2'], endpoint: { uri: receiver.url(pausedAt) } },
    });
    for (const value of [1, 2, 3]) await patchAttrs(entity, { no2: { type: 'Property', value } });
    const [first] = await receivedAt(throttledAt);
    expect((first?.body['data'] as Json[])[0]).toEqual({ id: entity, type: 'AirQualityObserved', no2: 1 });
    // Resumed with an expiry: one notification gets through, then it expires.
    expect(
      (
        await broker.call('PATCH', `/ngsi-ld/v1/subscriptions/${paused}`, {
          body: { isActive: true, expiresAt: new Date(Date.now() + 1500).toISOString() },
        })
      ).status,
    ).toBe(204);
    await patchAttrs(entity, { no2: { type: 'Property', value: 4 } });
    await eventually(async () => (await subscription(paused))['status'] === 'expired', {
      what: 'the subscription to expire',
    });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, (first as Received).at + 2100 - Date.now())),
    );
    await patchAttrs(entity, { no2: { type: 'Property', value: 5 } });
    const throttled = await receivedAt(throttledAt, 2);
    expect(throttled.map((request) => ((request.body['data'] as Json[])[0] as Json)['no2'])).toEqual([1, 5]);
    const resumed = await receivedAt(pausedAt);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(resumed.map((request) => ((request.body['data'] as Json[])[0] as Json)['no2'])).toEqual([4]);
    expect(receiver.at(pausedAt)).toHaveLength(1);
  });

  it('delivers periodic notifications (timeInterval)', async () => {
    const where = nextPath();
    const entity = entityId('AirQualityObserved');
    await publisher.publish('devices.observation.decoded.v1', [observation(entity, 33)], {
      key: `alpha/${entity}`,
    });
    await eventually(
      async () => (await broker.call('GET', `/ngsi-ld/v1/entities/${entity}`)).status === 200,
      { what: 'the observation to be stored' },
    );
    const id = await subscribe({
      entities: [{ type: 'AirQualityObserved', id: entity }],
      timeInterval: 1,
      notification: { format: 'keyValues', attributes: ['no2'], endpoint: { uri: receiver.url(where) } },
    });
    const received = await receivedAt(where, 2);
    expect(received.map((request) => request.body['data'])).toEqual(
      [0, 1].map(() => [{ id: entity, type: 'AirQualityObserved', no2: 33 }]),
    );
    // The broker's notifiedAt, not the arrival: a loaded delivery path may hand two over back to back.
    const notifiedAt = received.map((request) => Date.parse(request.body['notifiedAt'] as string));
    expect((notifiedAt[1] as number) - (notifiedAt[0] as number)).toBeGreaterThanOrEqual(700);
    expect((await broker.call('DELETE', `/ngsi-ld/v1/subscriptions/${id}`)).status).toBe(204);
  });

  it('publishes to an MQTT endpoint (Mosquitto) with the NGSI-LD MQTT binding', async () => {
    const topic = `urbis/e2e/${Date.now().toString(36)}`;
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    try {
      const messages: Json[] = [];
      client.on('message', (_topic, payload) => messages.push(JSON.parse(payload.toString('utf8')) as Json));
      await client.subscribeAsync(topic, { qos: 1 });
      const entity = entityId('AirQualityObserved');
      const id = await subscribe({
        entities: [{ type: 'AirQualityObserved', id: entity }],
        notification: {
          format: 'keyValues',
          attributes: ['no2'],
          endpoint: {
            uri: `mqtt://127.0.0.1:1883/${topic}`,
            notifierInfo: [{ key: 'MQTT-QoS', value: '1' }],
          },
        },
      });
      await publisher.publish('devices.observation.decoded.v1', [observation(entity, 41)], {
        key: `alpha/${entity}`,
      });
      const [message] = await until(
        () => messages,
        (found) => found.length >= 1,
        { what: 'the MQTT notification', timeoutMs: 30_000 },
      );
      expect(message).toEqual({
        metadata: { 'Content-Type': 'application/json', Link: contextLink(CORE_CONTEXT_URL) },
        body: {
          id: expect.any(String),
          type: 'Notification',
          subscriptionId: id,
          notifiedAt: expect.any(String),
          triggerReason: 'attributeCreated',
          data: [{ id: entity, type: 'AirQualityObserved', no2: 41 }],
        },
      });
      await until(
        () => subscription(id),
        (read) => (read['notification'] as Json)['status'] === 'ok',
        { what: 'the MQTT delivery to be recorded', timeoutMs: 30_000 },
      );
    } finally {
      await client.endAsync();
    }
  });
});
