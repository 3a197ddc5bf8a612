import { createEvent } from '@urbis/contracts';
import { createKafka, EventPublisher } from '@urbis/messaging';
import { TEST_CLIENTS, TopicReader, until } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { type BrokerHarness, startBroker } from './test-support/broker.test-helpers';

const NGSI = '/ngsi-ld/v1';
const [DASHBOARD, DASHBOARD_SECRET] = TEST_CLIENTS.cityDashboard;

/**
 * Data-access policies enforced by the data service itself (issue 8, point 2): an integrator's
 * client granted `ParkingSpot.status` sees that attribute and nothing else, and writes only what
 * a write grant covers. Policies arrive as the security service publishes them.
 */
describe('data-access policies on NGSI-LD reads and writes', () => {
  let broker: BrokerHarness;
  let publisher: EventPublisher;
  let audit: TopicReader;
  let dashboard: string;
  const run = Date.now().toString(36);
  const spot = `urn:ngsi-ld:ParkingSpot:${run}:1`;
  const station = `urn:ngsi-ld:AirQualityObserved:${run}:1`;

  const grant = async (actions: ('read' | 'write')[], resources: object[], version = 1, policyId = randomUUID()) => {
    const policy = { policyId, tenant: 'alpha', version, subject: { kind: 'client', id: DASHBOARD }, actions, resources, purpose: 'parking guidance', updatedAt: new Date().toISOString() };
    await publisher.publish(
      'security.policy.changed.v2',
      [createEvent('security.policy.changed.v2', { tenant: 'alpha', source: 'security', payload: { policyId, change: version === 1 ? 'created' : 'updated', version, policy: policy as never, changedAt: policy.updatedAt } })],
      { key: `alpha/${policyId}` },
    );
    return policyId;
  };
  const asDashboard = (method: string, path: string, body?: unknown) =>
    fetch(`${broker.url}${path}`, { method, headers: { authorization: `Bearer ${dashboard}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) }).then(async (response) => ({ status: response.status, body: (await response.text()) || undefined }));

  beforeAll(async () => {
    broker = await startBroker('data_access');
    publisher = new EventPublisher({ kafka: createKafka({ clientId: 'access-test', brokers: broker.kafka.bootstrapServers, logLevel: 'nothing' }) });
    await publisher.connect();
    audit = await new TopicReader(broker.kafka.bootstrapServers, ['security.audit.recorded.v1']).start();
    dashboard = await broker.idp.token(DASHBOARD, DASHBOARD_SECRET);
    const created = await broker.call('POST', `${NGSI}/entityOperations/create`, {
      body: [
        { id: spot, type: 'ParkingSpot', status: 'free', name: 'PM-1', location: { type: 'Point', coordinates: [-3.7, 40.4] } },
        { id: station, type: 'AirQualityObserved', no2: 40 },
      ],
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await audit?.stop();
    await publisher?.disconnect();
    await broker?.stop();
  });

  it('shows a client without any grant nothing, and audits the refusal of an entity it asked for', async () => {
    const listed = await asDashboard('GET', `${NGSI}/entities?type=ParkingSpot,AirQualityObserved`);
    expect([listed.status, JSON.parse(listed.body ?? '[]')]).toEqual([200, []]);
    const read = await asDashboard('GET', `${NGSI}/entities/${spot}`);
    expect(read.status).toBe(403);
    const [record] = await audit.waitFor((message) => (message.value['payload'] as { action: string }).action === 'data.access.read-denied');
    expect(record?.value['payload']).toMatchObject({ outcome: 'denied', actor: expect.objectContaining({ id: expect.any(String) }) });
  });

  it('lets the client granted ParkingSpot.status see that attribute and nothing else', async () => {
    await grant(['read'], [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }]);
    const visible = await until(
      async () => JSON.parse((await asDashboard('GET', `${NGSI}/entities?type=ParkingSpot,AirQualityObserved&options=keyValues`)).body ?? '[]') as object[],
      (entities) => entities.length > 0,
      { what: 'the grant to reach the data service' },
    );
    expect(visible).toEqual([{ id: spot, type: 'ParkingSpot', status: 'free' }]);
    expect(JSON.parse((await asDashboard('GET', `${NGSI}/entities/${spot}?options=keyValues`)).body ?? '{}')).toEqual({ id: spot, type: 'ParkingSpot', status: 'free' });
    expect((await asDashboard('GET', `${NGSI}/entities/${station}`)).status).toBe(403);
    const types = JSON.parse((await asDashboard('GET', `${NGSI}/types`)).body ?? '{}') as { typeList: string[] };
    expect(types.typeList).toEqual(['ParkingSpot']);
  });

  it('refuses writes no grant covers, and allows what a write grant covers', async () => {
    expect((await asDashboard('PATCH', `${NGSI}/entities/${spot}/attrs`, { status: 'occupied' })).status).toBe(403);
    await grant(['read', 'write'], [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }]);
    await until(async () => (await asDashboard('PATCH', `${NGSI}/entities/${spot}/attrs`, { status: 'occupied' })).status, (status) => status === 204, { what: 'the write grant' });
    expect((await asDashboard('PATCH', `${NGSI}/entities/${spot}/attrs`, { name: 'PM-2' })).status).toBe(403);
    expect((await asDashboard('DELETE', `${NGSI}/entities/${spot}`)).status).toBe(403);
    const batch = await asDashboard('POST', `${NGSI}/entityOperations/update`, [{ id: spot, status: 'free' }, { id: spot, name: 'x' }]);
    expect(batch.status).toBe(207);
    expect((await broker.call<Record<string, unknown>>('GET', `${NGSI}/entities/${spot}?options=keyValues`)).body).toMatchObject({ status: 'free', name: 'PM-1' });
  });
});
