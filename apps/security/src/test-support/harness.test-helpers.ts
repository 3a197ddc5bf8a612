// One running security service on real components, for the integration suites: a fresh
// PostgreSQL database with the real migrations, the dev broker, the dev IdP with the shared test
// realm, and a reader of what the service publishes.
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
  TEST_REALM_FILE,
  type TestDatabase,
  type TestUser,
  testUserTokens,
  TopicReader,
} from '@urbis/testing';
import { Client } from 'pg';
import { AppModule } from '../app.module';
import { configSchema } from '../config';

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export interface SecurityHarness {
  url: string;
  idp: DevIdp;
  kafka: DevKafka;
  database: TestDatabase;
  reader: TopicReader;
  token(user: TestUser): Promise<string>;
  /** fetch against the service as a test-realm user (or with a raw `Authorization` value). */
  call(as: TestUser | { authorization?: string }, method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
  /** Publishes events as another service would. */
  publish<T extends TopicName>(topic: T, events: EventOf<T>[]): Promise<void>;
  sql<T>(query: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startSecurityHarness(env: Record<string, string> = {}): Promise<SecurityHarness> {
  await buildDevKafka();
  const database = await createTestDatabase('security');
  const [kafka, idp]: [DevKafka, DevIdp, void] = await Promise.all([
    startDevKafka({ topics: provisionedTopics(), brokers: 1, partitions: 2, groupInitialRebalanceDelayMs: 100 }),
    startDevIdp({ realmFile: TEST_REALM_FILE }),
    applyMigrations('security', database.url),
  ]);
  const service = await startServiceForTest(AppModule, configSchema, {
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    OIDC_ISSUER_URL: idp.issuer,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const reader = new TopicReader(kafka.bootstrapServers, provisionedTopics().filter((name) => name.startsWith('security.')));
  await reader.start();
  const publisher = new EventPublisher({ kafka: createKafka({ clientId: 'security-test', brokers: kafka.bootstrapServers }) });
  await publisher.connect();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  const token = testUserTokens(idp);

  return {
    url: service.url,
    idp,
    kafka,
    database,
    reader,
    token,
    async call(as, method, route, body, headers = {}) {
      const authorization = typeof as === 'string' ? `Bearer ${await token(as)}` : as.authorization;
      const response = await fetch(`${service.url}${route}`, {
        method,
        headers: {
          ...(authorization !== undefined && { authorization }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = {}; // not JSON (e.g. an export): the caller reads `text`
      }
      return { status: response.status, body: parsed, text, headers: response.headers };
    },
    async publish(topic, events) {
      await publisher.publish(topic, events, { key: (event) => messageKeyOf(topic, event) });
    },
    async sql<T>(query: string, values: unknown[] = []) {
      return (await pg.query(query, values)).rows as T[];
    },
    async stop() {
      await service.shutdown();
      await Promise.allSettled([reader.stop(), publisher.disconnect(), pg.end()]);
      await Promise.allSettled([kafka.stop(), idp.stop()]);
      await database.drop();
    },
  };
}
