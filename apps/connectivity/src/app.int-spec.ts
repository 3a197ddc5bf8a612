// The service boot suite. @urbis/testing's describeServiceBoot asserts the foundation's exact
// table list (outbox and dedupe only); connectivity adds its registry cache, so this suite checks
// the same things with connectivity's schema. Back to describeServiceBoot once it takes the list.
import { runServiceMain } from '@urbis/testing';
import { Client } from 'pg';
import {
  type Infrastructure,
  serviceEnv,
  startConnectivity,
  startInfrastructure,
  type TestService,
} from './test-support/harness.test-helpers';

describe('connectivity service boot', () => {
  let infra: Infrastructure;
  let service: TestService;

  beforeAll(async () => {
    infra = await startInfrastructure('connectivity');
    service = await startConnectivity(serviceEnv(infra));
  });

  afterAll(async () => {
    await service?.shutdown();
    await infra?.stop();
  });

  it('applied its migrations: registry cache, outbox and dedupe tables', async () => {
    const client = new Client({ connectionString: infra.database.url });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining([
          '_prisma_migrations',
          'device',
          'device_credential',
          'device_status',
          'link_sample',
          'lorawan_device',
          'outbox_event',
          'processed_event',
        ]),
      );
    } finally {
      await client.end();
    }
  });

  it('is ready once its database, broker, producer, MQTT server and consumers are up', async () => {
    const response = await fetch(`${service.url}/health/ready`);
    const body = (await response.json()) as { checks: { name: string; ok: boolean }[] };
    expect(response.status).toBe(200);
    expect(body.checks.map((check) => check.name).sort()).toEqual(
      ['broker', 'commands', 'database', 'device-status', 'kafka-producer', 'mqtt-server', 'outbox-relay', 'registry-consumer'].sort(),
    );
    expect(body.checks.every((check) => check.ok)).toBe(true);
  });

  it('is live, serves Prometheus metrics and its OpenAPI document with the ingest route', async () => {
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    const metrics = await fetch(`${service.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('connectivity_mqtt_sessions');
    const docs = (await (await fetch(`${service.url}/docs-json`)).json()) as { info: { title: string }; paths: object };
    expect(docs.info.title).toBe('Urbis connectivity');
    expect(Object.keys(docs.paths)).toContain('/ingest/v1/{tenant}/devices/{deviceId}');
  });

  it('refuses to start with a bad environment, naming every bad variable', async () => {
    const result = await runServiceMain('connectivity', {
      NODE_ENV: 'production',
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      MQTT_PORT: '70000',
      REPLICA_ID: 'has spaces',
    });
    expect(result.code).toBe(1);
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'KAFKA_BROKERS', 'OIDC_ISSUER_URL', 'MQTT_PORT', 'REPLICA_ID']) {
      expect(result.stderr).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
  });
});
