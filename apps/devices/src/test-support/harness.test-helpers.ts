// One running devices service on real components, for the integration suites: a fresh
// PostgreSQL database with the real migrations, the dev broker, the dev IdP with the test realm,
// and a Kafka reader that collects what the service publishes.
import { createEvent, type EventOf, provisionedTopics, type TopicName } from '@urbis/contracts';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import { startServiceForTest } from '@urbis/runtime';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  type DevIdp,
  type DevKafka,
  startDevIdp,
  startDevKafka,
  type TestDatabase,
  TopicReader,
} from '@urbis/testing';
import path from 'node:path';
import { Client } from 'pg';
import { AppModule } from '../app.module';
import { configSchema } from '../config';

export const TEST_REALM = path.join(__dirname, '../__fixtures__/test-realm.json');

/** Users of the test realm: tenant alpha unless named otherwise. */
export const USERS = {
  tenantAdmin: ['tom', 'tom-pw'],
  operator: ['otto', 'otto-pw'],
  betaOperator: ['olga', 'olga-pw'],
  integrator: ['ines', 'ines-pw'],
  auditor: ['aude', 'aude-pw'],
  platformAdmin: ['pia', 'pia-pw'],
} as const;

export interface DevicesHarness {
  url: string;
  database: TestDatabase;
  kafka: DevKafka;
  idp: DevIdp;
  reader: TopicReader;
  /** An access token of a test-realm user. */
  token(user: keyof typeof USERS): Promise<string>;
  /** fetch against the service with a user's token and a JSON body. */
  call(
    user: keyof typeof USERS,
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown>; contentType: string }>;
  /** Publishes events as another service would. */
  publish<T extends TopicName>(topic: T, events: EventOf<T>[]): Promise<void>;
  /** Publishes raw bytes on a topic (for malformed messages). */
  publishRaw(topic: string, key: string, value: string): Promise<void>;
  sql<T>(query: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startDevicesHarness(env: Record<string, string> = {}): Promise<DevicesHarness> {
  await buildDevKafka();
  const database = await createTestDatabase('devices');
  const [kafka, idp]: [DevKafka, DevIdp, void] = await Promise.all([
    startDevKafka({
      topics: provisionedTopics(),
      brokers: 1,
      partitions: 2,
      groupInitialRebalanceDelayMs: 100,
    }),
    startDevIdp({ realmFile: TEST_REALM }),
    applyMigrations('devices', database.url),
  ]);
  const service = await startServiceForTest(AppModule, configSchema, {
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    OIDC_ISSUER_URL: idp.issuer,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const client = createKafka({ clientId: 'devices-test', brokers: kafka.bootstrapServers });
  const reader = await new TopicReader(
    kafka.bootstrapServers,
    provisionedTopics().filter(
      (name) => name.startsWith('devices.') || name.endsWith('.dlq') || name.startsWith('security.audit'),
    ),
  ).start();
  const publisher = new EventPublisher({ kafka: client });
  await publisher.connect();
  const rawProducer = client.producer();
  await rawProducer.connect();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();

  const tokens = new Map<string, Promise<string>>();
  const token = (user: keyof typeof USERS) => {
    let cached = tokens.get(user);
    if (!cached) {
      const [username, password] = USERS[user];
      cached = idp.passwordToken('test-app', 'test-app-secret', username, password);
      tokens.set(user, cached);
    }
    return cached;
  };

  return {
    url: service.url,
    database,
    kafka,
    idp,
    reader,
    token,
    async call(user, method, route, body, headers = {}) {
      const response = await fetch(`${service.url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${await token(user)}`,
          ...(body !== undefined && {
            'content-type': typeof body === 'string' ? 'text/csv' : 'application/json',
          }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        contentType: response.headers.get('content-type') ?? '',
      };
    },
    async publish(topic, events) {
      await publisher.publish(topic, events, { key: (event) => messageKeyOf(topic, event) });
    },
    async publishRaw(topic, key, value) {
      await rawProducer.send({ topic, messages: [{ key, value }] });
    },
    async sql<T>(query: string, values: unknown[] = []) {
      return (await pg.query(query, values)).rows as T[];
    },
    async stop() {
      await service.shutdown();
      await Promise.allSettled([reader.stop(), publisher.disconnect(), rawProducer.disconnect(), pg.end()]);
      await Promise.allSettled([kafka.stop(), idp.stop()]);
      await database.drop();
    },
  };
}

/** An uplink as connectivity publishes it. */
export function uplinkEvent(
  tenant: string,
  deviceId: string,
  payload: Buffer,
  extra: Partial<EventOf<'connectivity.uplink.received.v1'>['payload']> = {},
): EventOf<'connectivity.uplink.received.v1'> {
  return createEvent('connectivity.uplink.received.v1', {
    tenant,
    source: 'connectivity',
    payload: {
      deviceId,
      transport: 'mqtt',
      receivedAt: new Date().toISOString(),
      payload: payload.toString('base64'),
      ...extra,
    },
  });
}

/**
 * Creates a profile and devices of it through the API (tenant alpha); the devices named in
 * `active` are activated. Resolves to the profile id.
 */
export async function provisionDevices(
  h: DevicesHarness,
  profile: object,
  ids: readonly string[],
  active: readonly string[] = [],
): Promise<string> {
  const created = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', profile);
  if (created.status !== 201) throw new Error(`profile not created: ${JSON.stringify(created.body)}`);
  const profileId = created.body['id'] as string;
  for (const id of ids) {
    const device = await h.call('operator', 'POST', '/devices/v1/devices', { id, profileId });
    if (device.status !== 201) throw new Error(`device ${id} not created: ${JSON.stringify(device.body)}`);
  }
  for (const id of active)
    await h.call('operator', 'POST', `/devices/v1/devices/${id}/lifecycle`, { to: 'active' });
  return profileId;
}
