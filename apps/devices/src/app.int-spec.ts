// The service boot suite. @urbis/testing's describeServiceBoot asserts the foundation's exact
// table list (outbox and dedupe only); the registry adds its own tables, so this suite checks
// the same things with the devices schema.
import { provisionedTopics } from '@urbis/contracts';
import { startServiceForTest } from '@urbis/runtime';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  type DevKafka,
  runServiceMain,
  startDevKafka,
  type TestDatabase,
} from '@urbis/testing';
import { Client } from 'pg';
import { AppModule } from './app.module';
import { configSchema } from './config';

describe('devices service boot', () => {
  let database: TestDatabase | undefined;
  let kafka: DevKafka | undefined;
  let running: { url: string; shutdown(): Promise<void> } | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('devices');
    await buildDevKafka();
    [kafka] = await Promise.all([
      startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 100 }),
      applyMigrations('devices', database.url),
    ]);
    running = await startServiceForTest(AppModule, configSchema, {
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.bootstrapServers.join(','),
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await running?.shutdown();
    await kafka?.stop();
    await database?.drop();
  });

  it('applied its migrations: the registry, the outbox and dedupe tables, with the partial index', async () => {
    const client = new Client({ connectionString: database?.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining([
          'device',
          'device_credential',
          'device_profile',
          'device_twin',
          'firmware_campaign',
          'outbox_event',
          'processed_event',
        ]),
      );
      const index = await client.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'outbox_event_unpublished_idx'",
      );
      expect(index.rows[0]?.indexdef).toContain('WHERE (published_at IS NULL)');
    } finally {
      await client.end();
    }
  });

  it('is ready once its database, broker, producer, outbox relay and uplink consumer are up', async () => {
    const response = await fetch(`${running?.url}/health/ready`);
    const body = (await response.json()) as { checks: { name: string; ok: boolean }[] };
    expect(response.status).toBe(200);
    expect(body.checks.map((check) => check.name).sort()).toEqual(
      [
        'broker',
        'command-responses',
        'command-sweeper',
        'database',
        'firmware-campaigns',
        'kafka-producer',
        'outbox-relay',
        'uplink-decoder',
      ].sort(),
    );
    expect(body.checks.every((check) => check.ok)).toBe(true);
  });

  it('is live, serves Prometheus metrics and its OpenAPI document', async () => {
    expect((await fetch(`${running?.url}/health/live`)).status).toBe(200);
    const metrics = await fetch(`${running?.url}/metrics`);
    expect(metrics.status).toBe(200);
    const docs = await fetch(`${running?.url}/docs-json`);
    expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('Urbis devices');
  });

  it('refuses to start with a bad environment, naming every bad variable', async () => {
    const result = await runServiceMain('devices', {
      NODE_ENV: 'production',
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      JSONATA_TIMEOUT_MS: '0',
    });
    expect(result.code).toBe(1);
    for (const variable of [
      'PORT',
      'LOG_LEVEL',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'OIDC_ISSUER_URL',
      'JSONATA_TIMEOUT_MS',
    ]) {
      expect(result.stderr).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
  });
});
