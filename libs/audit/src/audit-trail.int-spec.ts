// AuditTrail against the dev broker and a real outbox table: direct records, aggregated floods,
// records written in a business transaction, and libs/auth refusals mapped to records.
import { type AuthRefusal, AuthErrorCode, Role } from '@urbis/auth';
import { type EventOf, parseEvent, provisionedTopics } from '@urbis/contracts';
import { createKafka, EventPublisher, OUTBOX_DDL, pgSqlExecutor } from '@urbis/messaging';
import { createLogger } from '@urbis/observability';
import { buildDevKafka, createTestDatabase, type DevKafka, startDevKafka, type TestDatabase } from '@urbis/testing';
import type { Consumer } from 'kafkajs';
import { Pool } from 'pg';

import { AuditTrail, AuthRefusalAuditor } from './index';

type Audit = EventOf<'security.audit.recorded.v1'>;

describe('AuditTrail', () => {
  let kafka: DevKafka;
  let database: TestDatabase;
  let pool: Pool;
  let publisher: EventPublisher;
  let consumer: Consumer;
  const seen: Audit[] = [];
  let trail: AuditTrail;

  const waitFor = async (predicate: (events: Audit[]) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(seen)) {
      if (Date.now() > deadline) throw new Error(`timed out; saw ${JSON.stringify(seen.map((e) => e.payload.action))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    await buildDevKafka();
    [kafka, database] = await Promise.all([
      startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 100 }),
      createTestDatabase('audit'),
    ]);
    pool = new Pool({ connectionString: database.url });
    await pool.query(OUTBOX_DDL);
    const client = createKafka({ clientId: 'audit-test', brokers: kafka.bootstrapServers });
    publisher = new EventPublisher({ kafka: client });
    await publisher.connect();
    consumer = client.consumer({ groupId: 'audit-test-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['security.audit.recorded.v1'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(parseEvent('security.audit.recorded.v1', JSON.parse(message.value?.toString() ?? 'null')));
      },
    });
    trail = new AuditTrail({ source: 'devices', publisher, logger: createLogger({ service: 'audit-test', level: 'silent' }), windowMs: 400 });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await publisher?.disconnect();
    await pool?.end();
    await Promise.allSettled([kafka?.stop(), database?.drop()]);
  });

  it('publishes a record at once, keyed by tenant', async () => {
    trail.record({ tenant: 'alpha', actor: { kind: 'user', id: 'u1' }, action: 'devices.device.delete', resource: { type: 'device', id: 'd1' }, outcome: 'succeeded' });
    await waitFor((events) => events.some((e) => e.payload.action === 'devices.device.delete'));
    const [event] = seen.filter((e) => e.payload.action === 'devices.device.delete');
    expect(event).toMatchObject({ tenant: 'alpha', source: 'devices', payload: { actor: { kind: 'user', id: 'u1' }, outcome: 'succeeded' } });
  });

  it('turns a flood into the first occurrence at once and one counted record per window', async () => {
    const flood = () =>
      trail.record(
        { tenant: 'alpha', actor: { kind: 'device', id: 'alpha/d2' }, action: 'connectivity.mqtt.bad-token', resource: { type: 'device', id: 'alpha/d2' }, outcome: 'denied', reason: 'bad-token' },
        { aggregate: { key: 'alpha/d2|bad-token' } },
      );
    for (let i = 0; i < 25; i++) flood();
    await waitFor((events) => events.filter((e) => e.payload.action === 'connectivity.mqtt.bad-token').length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 900)); // a quiet window publishes nothing more
    const records = seen.filter((e) => e.payload.action === 'connectivity.mqtt.bad-token');
    expect(records.map((e) => e.payload.details?.['count']).sort((a, b) => Number(a) - Number(b))).toEqual([1, 24]);
    expect(records.find((e) => e.payload.details?.['count'] === 24)?.payload.details).toMatchObject({ firstAt: expect.any(String), lastAt: expect.any(String) });
  });

  it('writes a record into the outbox inside the caller’s transaction, and not when it rolls back', async () => {
    const db = pgSqlExecutor(pool);
    await db.transaction((tx) => trail.enqueue(tx, { tenant: 'beta', actor: { kind: 'user', id: 'u2' }, action: 'devices.credential.issue', resource: { type: 'credential', id: 'c1' }, outcome: 'succeeded' }));
    await db
      .transaction(async (tx) => {
        await trail.enqueue(tx, { tenant: 'beta', actor: { kind: 'user', id: 'u2' }, action: 'devices.credential.revoke', resource: { type: 'credential', id: 'c1' }, outcome: 'succeeded' });
        throw new Error('business rule failed');
      })
      .catch(() => undefined);
    const rows = await pool.query<{ topic: string; message_key: string; event: Audit }>('SELECT topic, message_key, event FROM outbox_event');
    expect(rows.rows.map((row) => [row.topic, row.message_key, row.event.payload.action])).toEqual([['security.audit.recorded.v1', 'beta', 'devices.credential.issue']]);
  });

  it('records libs/auth refusals: unverified ones under the platform tenant, verified ones under the caller’s', async () => {
    const auditor = new AuthRefusalAuditor(trail);
    const anonymous: AuthRefusal = { code: AuthErrorCode.TokenExpired, status: 401, requestedTenant: 'gamma', method: 'GET', path: '/devices/v1/devices', address: '10.0.0.9' };
    auditor.refused(anonymous);
    auditor.refused({
      code: AuthErrorCode.TenantMismatch,
      status: 403,
      requestedTenant: 'beta',
      principal: { subject: 'sub-1', clientId: 'city-app', tenant: 'alpha', roles: [Role.Integrator] },
      method: 'GET',
      path: '/devices/v1/devices',
      address: '10.0.0.9',
    });
    await waitFor((events) => events.some((e) => e.payload.action === 'auth.tenant-mismatch') && events.some((e) => e.payload.action === 'auth.token-expired'));
    expect(seen.find((e) => e.payload.action === 'auth.token-expired')).toMatchObject({
      tenant: 'platform',
      payload: { actor: { kind: 'client', id: 'anonymous' }, outcome: 'denied', reason: 'token-expired', resource: { type: 'route', id: 'GET /devices/v1/devices' }, details: { address: '10.0.0.9', requestedTenant: 'gamma', status: 401 } },
    });
    expect(seen.find((e) => e.payload.action === 'auth.tenant-mismatch')).toMatchObject({
      tenant: 'alpha',
      payload: { actor: { kind: 'user', id: 'sub-1' }, details: { clientId: 'city-app', callerTenant: 'alpha', requestedTenant: 'beta', roles: ['integrator'] } },
    });
  });

  it('records a tenant that is not a slug under the platform tenant, keeping what was claimed', async () => {
    trail.record({ tenant: 'Not A Tenant', actor: { kind: 'client', id: 'x' }, action: 'probe.odd-tenant', resource: { type: 'route' }, outcome: 'denied' });
    await waitFor((events) => events.some((e) => e.payload.action === 'probe.odd-tenant'));
    expect(seen.find((e) => e.payload.action === 'probe.odd-tenant')).toMatchObject({ tenant: 'platform', payload: { details: { claimedTenant: 'Not A Tenant' } } });
  });

  it('flush() publishes what open windows counted and waits for it', async () => {
    for (let i = 0; i < 3; i++) {
      trail.record({ tenant: 'beta', actor: { kind: 'device', id: 'beta/d3' }, action: 'connectivity.http.payload-size', resource: { type: 'device' }, outcome: 'denied' }, { aggregate: { key: 'beta/d3', windowMs: 60_000 } });
    }
    await trail.flush();
    await waitFor((events) => events.filter((e) => e.payload.action === 'connectivity.http.payload-size').length === 2);
    // two publishes of one key are not ordered between themselves; each stands for its count
    expect(seen.filter((e) => e.payload.action === 'connectivity.http.payload-size').map((e) => e.payload.details?.['count']).sort()).toEqual([1, 2]);
  });
});
