import { TopicReader } from '@urbis/testing';
import { Client } from 'pg';
import { type BrokerHarness, entityId, startBroker } from './test-support/broker.test-helpers';

const DAY = 24 * 3_600_000;
const at = (daysAgo: number) => new Date(Math.floor((Date.now() - daysAgo * DAY) / 3_600_000) * 3_600_000 + 60_000).toISOString();

/** Retention and data minimisation (issue 6, point 5): policies per tenant, type and attribute, an audited purge. */
describe('retention of attribute history', () => {
  let broker: BrokerHarness;
  let audit: TopicReader;
  let db: Client;
  const room = entityId('Room');
  const meter = entityId('Meter');

  const history = async (id: string, attr: string) =>
    (await db.query<{ days: number }>(`SELECT round(extract(epoch from now() - ts) / 86400)::int AS days FROM attribute_instance WHERE entity_id = $1 AND attr = $2 ORDER BY ts`, [id, `https://uri.etsi.org/ngsi-ld/default-context/${attr}`])).rows.map((row) => row.days);
  const rollups = async (id: string, attr: string) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attribute_rollup WHERE entity_id = $1 AND attr = $2', [id, `https://uri.etsi.org/ngsi-ld/default-context/${attr}`])).rows[0]?.n);

  beforeAll(async () => {
    broker = await startBroker('data_retention');
    audit = await new TopicReader(broker.kafka.bootstrapServers, ['security.audit.recorded.v1']).start();
    db = new Client({ connectionString: broker.database.url });
    await db.connect();
    const series = () => [100, 40, 10, 1].map((days, i) => ({ type: 'Property', value: 20 + i, observedAt: at(days) }));
    for (const [id, type] of [[room, 'Room'], [meter, 'Meter']] as const) {
      const created = await broker.call('POST', '/ngsi-ld/v1/temporal/entities', { body: { id, type, temperature: series(), humidity: series() } });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => {
    await db?.end();
    await audit?.stop();
    await broker?.stop();
  });

  it('is read and set by tenant administrators, validated, and refused to others', async () => {
    const set = (body: unknown, user: 'tenantAdmin' | 'operator' = 'tenantAdmin') => broker.call('PUT', '/data/v1/retention-policies', { user, body });
    expect((await set({ keepRawDays: 365 })).status).toBe(200);
    expect((await set({ entityType: 'Room', keepRawDays: 30, keepRollupDays: 400 })).status).toBe(200);
    expect((await set({ entityType: 'Room', attribute: 'humidity', keepRawDays: 5 })).status).toBe(200);
    expect((await set({ keepRawDays: 30 }, 'operator')).status).toBe(403);
    expect((await set({ attribute: 'humidity', keepRawDays: 5 })).status).toBe(400);
    expect((await set({ entityType: 'Room', keepRawDays: 30, keepRollupDays: 10 })).status).toBe(400);
    expect((await set({ keepRawDays: 0 })).status).toBe(400);
    const listed = await broker.call<unknown[]>('GET', '/data/v1/retention-policies', { user: 'tenantAdmin' });
    expect(listed.body).toEqual([
      expect.objectContaining({ keepRawDays: 365 }),
      expect.objectContaining({ entityType: 'Room', keepRawDays: 30, keepRollupDays: 400 }),
      expect.objectContaining({ entityType: 'Room', attribute: 'humidity', keepRawDays: 5 }),
    ]);
  });

  it('purges what each series\' most specific policy no longer keeps, keeps the rest, and audits the run', async () => {
    expect(await history(room, 'temperature')).toEqual([100, 40, 10, 1]);
    expect(await rollups(room, 'temperature')).toBe(4);
    const run = await broker.call<{ policies: { entityType: string; attribute: string; instances: number }[] }>('POST', '/data/v1/retention-policies/runs', { user: 'platformAdmin' });
    expect(run.status).toBe(201);
    expect(await history(room, 'temperature')).toEqual([10, 1]);
    expect(await history(room, 'humidity')).toEqual([1]);
    expect(await history(meter, 'temperature')).toEqual([100, 40, 10, 1]);
    // Room keeps its rollups for 400 days: the purged hours stay aggregated; humidity's policy keeps none longer.
    expect(await rollups(room, 'temperature')).toBe(4);
    expect(await rollups(room, 'humidity')).toBe(1);
    expect(run.body.policies.find((policy) => policy.entityType === 'Room' && policy.attribute === '*')?.instances).toBe(2);

    const [record] = await audit.waitFor((message) => (message.value['payload'] as { action: string }).action === 'data.retention.purge');
    expect(record?.value).toMatchObject({ tenant: 'alpha', payload: { outcome: 'succeeded', details: expect.objectContaining({ instances: expect.any(Number) }) } });

    const again = await broker.call<{ policies: { instances: number }[] }>('POST', '/data/v1/retention-policies/runs', { user: 'platformAdmin' });
    expect(again.body.policies.every((policy) => policy.instances === 0)).toBe(true);
  });

  it('keeps everything once its policy is removed', async () => {
    expect((await broker.call('DELETE', '/data/v1/retention-policies', { user: 'tenantAdmin' })).status).toBe(204);
    expect((await broker.call('DELETE', '/data/v1/retention-policies', { user: 'tenantAdmin' })).status).toBe(404);
    await broker.call('POST', '/data/v1/retention-policies/runs', { user: 'platformAdmin' });
    expect(await history(meter, 'temperature')).toEqual([100, 40, 10, 1]);
  });
});
