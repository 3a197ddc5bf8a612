// One running integration service on real components, for the integration suites: a fresh
// PostgreSQL database with the real migrations, the dev broker, the dev IdP with the test realm,
// and a reader of what the service publishes.
import { type EventOf, provisionedTopics, type TopicName } from '@urbis/contracts';
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
  platformAdmin: ['pia', 'pia-pw'],
  tenantAdmin: ['tom', 'tom-pw'],
  operator: ['otto', 'otto-pw'],
  betaOperator: ['olga', 'olga-pw'],
  integrator: ['ines', 'ines-pw'],
  betaIntegrator: ['ida', 'ida-pw'],
  auditor: ['aude', 'aude-pw'],
} as const;
export type User = keyof typeof USERS;

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  contentType: string;
}

export interface IntegrationHarness {
  url: string;
  kafka: DevKafka;
  reader: TopicReader;
  call(
    user: User,
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  publish<T extends TopicName>(topic: T, events: EventOf<T>[]): Promise<void>;
  publishRaw(topic: string, key: string, value: string): Promise<void>;
  /** Lets a tenant reach loopback addresses (what an operator does for a local stack). */
  allowLoopback(tenant: string): Promise<void>;
  sql<T>(query: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startIntegrationHarness(env: Record<string, string> = {}): Promise<IntegrationHarness> {
  await buildDevKafka();
  const database: TestDatabase = await createTestDatabase('integration');
  const [kafka, idp]: [DevKafka, DevIdp, void] = await Promise.all([
    startDevKafka({
      topics: provisionedTopics(),
      brokers: 1,
      partitions: 2,
      groupInitialRebalanceDelayMs: 100,
    }),
    startDevIdp({ realmFile: TEST_REALM }),
    applyMigrations('integration', database.url),
  ]);
  const service = await startServiceForTest(AppModule, configSchema, {
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    OIDC_ISSUER_URL: idp.issuer,
    // URBIS_TEST_LOG=debug shows the service's logs.
    LOG_LEVEL: process.env['URBIS_TEST_LOG'] ?? 'silent',
    DELIVERY_POLL_INTERVAL_MS: '50',
    ...env,
  });
  const reader = await new TopicReader(
    kafka.bootstrapServers,
    provisionedTopics().filter(
      (name) =>
        name.startsWith('integration.') || name.startsWith('devices.observation') || name === 'security.audit.recorded.v1' || name.endsWith('.dlq'),
    ),
  ).start();
  const client = createKafka({ clientId: 'integration-test', brokers: kafka.bootstrapServers });
  const publisher = new EventPublisher({ kafka: client });
  await publisher.connect();
  const rawProducer = client.producer();
  await rawProducer.connect();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();

  const tokens = new Map<User, Promise<string>>();
  const token = (user: User) => {
    let cached = tokens.get(user);
    if (!cached) {
      const [username, password] = USERS[user];
      cached = idp.passwordToken('test-app', 'test-app-secret', username, password);
      tokens.set(user, cached);
    }
    return cached;
  };

  const call: IntegrationHarness['call'] = async (user, method, route, body, headers = {}) => {
    const response = await fetch(`${service.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(user)}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      contentType: response.headers.get('content-type') ?? '',
    };
  };

  return {
    url: service.url,
    kafka,
    reader,
    call,
    async publish(topic, events) {
      await publisher.publish(topic, events, { key: (event) => messageKeyOf(topic, event) });
    },
    async publishRaw(topic, key, value) {
      await rawProducer.send({ topic, messages: [{ key, value }] });
    },
    async allowLoopback(tenant) {
      const reply = await call(
        'platformAdmin',
        'PUT',
        '/integration/v1/destination-policy',
        { allowLoopback: true },
        {
          'x-urbis-tenant': tenant,
        },
      );
      if (reply.status !== 200) throw new Error(`could not allow loopback: ${JSON.stringify(reply.body)}`);
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
