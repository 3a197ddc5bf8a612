// One running data service on real components, for the NGSI-LD suites: a fresh PostgreSQL
// database with the real migrations, the dev broker, the dev IdP with the shared test realm.
import { provisionedTopics } from '@urbis/contracts';
import { type RunningService, startServiceForTest } from '@urbis/runtime';
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
} from '@urbis/testing';
import { AppModule } from '../app.module';
import { configSchema } from '../config';

export const CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const CONTEXT_LINK_REL = 'http://www.w3.org/ns/json-ld#context';

export interface NgsiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: T;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** A raw body sent as is (malformed JSON tests). */
  raw?: string;
  headers?: Record<string, string>;
  /** Default `otto` the operator of tenant alpha (policies do not restrict operators); `null` sends no token. */
  user?: TestUser | null;
}

export interface BrokerHarness {
  url: string;
  database: TestDatabase;
  kafka: DevKafka;
  idp: DevIdp;
  token(user: TestUser): Promise<string>;
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<NgsiResponse<T>>;
  stop(): Promise<void>;
}

/** Boots the broker; `env` adds or overrides variables (e.g. NGSILD_MAX_LIMIT). */
export async function startBroker(name: string, env: Record<string, string> = {}): Promise<BrokerHarness> {
  const database = await createTestDatabase(name);
  await buildDevKafka();
  const [kafka, idp] = await Promise.all([
    startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 100 }),
    startDevIdp({ realmFile: TEST_REALM_FILE }),
    applyMigrations('data', database.url),
  ]);
  let service: RunningService;
  try {
    service = await startServiceForTest(AppModule, configSchema, {
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.bootstrapServers.join(','),
      OIDC_ISSUER_URL: idp.issuer,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      ...env,
    });
  } catch (error) {
    await Promise.all([kafka.stop(), idp.stop(), database.drop()]);
    throw error;
  }
  const token = testUserTokens(idp);
  return {
    url: service.url,
    database,
    kafka,
    idp,
    token,
    async call<T>(method: string, path: string, options: CallOptions = {}): Promise<NgsiResponse<T>> {
      const headers: Record<string, string> = { ...options.headers };
      const user = options.user === undefined ? 'operator' : options.user;
      if (user !== null) headers['authorization'] = `Bearer ${await token(user)}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined && { body }) });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed as T, text };
    },
    async stop() {
      await service.shutdown();
      await Promise.all([kafka.stop(), idp.stop()]);
      await database.drop();
    },
  };
}

/** A Link header naming a @context URL. */
export const contextLink = (url: string) => `<${url}>; rel="${CONTEXT_LINK_REL}"; type="application/ld+json"`;

/** A unique entity id per test, so suites share one broker without truncating tables. */
let counter = 0;
export const entityId = (type: string) => `urn:ngsi-ld:${type}:${process.pid}-${Date.now().toString(36)}-${++counter}`;
