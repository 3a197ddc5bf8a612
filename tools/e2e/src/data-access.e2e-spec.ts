// An integrator's application (the test realm's client `city-dashboard`, role integrator) on a
// live district: a tenant admin grants it one attribute of one entity type through the security
// service's API, and the data service shows it that and nothing else — in queries, single
// reads, history and its own subscriptions' notifications. Grant, refusals and provisioning are
// in the audit ledger, whose chain verifies.
import type { District, SimulatedDevice } from '@urbis/simulator';
import { type HttpReceiver, startHttpReceiver, TEST_CLIENTS, until } from '@urbis/testing';
import { type ApiClient, type City, type Entity, startCity, startTestDistrict } from './city';

interface AuditRecord {
  source: string;
  action: string;
  outcome: string;
  resource: { type: string; id: string } | null;
  details: Record<string, unknown> | null;
}

describe('an integrator under a data-access policy', () => {
  let city: City;
  let district: District;
  let receiver: HttpReceiver;
  let dashboard: ApiClient;
  const startedAt = new Date().toISOString();

  const spots = () => district.devices.filter((device) => device.kind === 'parkingSpot');
  const station = () => district.devices.find((device) => device.kind === 'airQuality') as SimulatedDevice;
  const ledger = (query: string) => city.api('security', 'auditor').get<{ records: AuditRecord[] }>(`/security/v1/audit/records?${query}`);

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    city = await startCity();
    district = await startTestDistrict(city, { devices: { parkingSpot: 4, airQuality: 2, streetlight: 1 } });
    await district.publish();
    const operator = city.api('data', 'operator');
    for (const device of district.devices) {
      await until(async () => (await operator.get(`/ngsi-ld/v1/entities/${encodeURIComponent(device.entityId)}`)).status, (status) => status === 200, {
        timeoutMs: 60_000,
        what: `entity ${device.entityId}`,
      });
    }
    const [clientId, secret] = TEST_CLIENTS.cityDashboard;
    dashboard = city.apiWithToken('data', () => city.platform.idp.token(clientId, secret));
    expect((await city.api('integration', 'platformAdmin').put('/integration/v1/destination-policy', { allowLoopback: true })).status).toBe(200);
  }, 600_000);

  afterAll(async () => {
    await district?.stop();
    await city?.stop();
    await receiver?.stop();
  });

  it('sees nothing of the tenant’s data before it is granted any', async () => {
    const query = await dashboard.get<Entity[]>('/ngsi-ld/v1/entities?type=ParkingSpot,AirQualityObserved,Streetlight');
    expect(query).toMatchObject({ status: 200, body: [] });
    const read = await dashboard.get(`/ngsi-ld/v1/entities/${encodeURIComponent(station().entityId)}`);
    expect(read.status).toBe(403);
  });

  it('sees exactly the granted attribute of the granted type once a tenant admin grants it', async () => {
    const granted = await city.api('security', 'tenantAdmin').post<{ policyId: string; version: number }>('/security/v1/policies', {
      subject: { kind: 'client', id: 'city-dashboard' },
      actions: ['read'],
      resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }],
      purpose: 'parking guidance',
    });
    expect(granted).toMatchObject({ status: 201, body: { version: 1 } });

    // the data service learns the policy from Kafka
    const seen = await until(
      async () => (await dashboard.get<Entity[]>('/ngsi-ld/v1/entities?type=ParkingSpot,AirQualityObserved,Streetlight&limit=100')).body,
      (entities) => Array.isArray(entities) && entities.length === spots().length,
      { timeoutMs: 30_000, what: 'the granted parking spots' },
    );
    expect(seen.map((entity) => entity.id).sort()).toEqual(spots().map((spot) => spot.entityId).sort());
    for (const entity of seen) expect(Object.keys(entity).sort()).toEqual(['id', 'status', 'type']);

    const operatorView = await city.api('data', 'operator').get<Entity>(`/ngsi-ld/v1/entities/${encodeURIComponent(spots()[0]?.entityId ?? '')}`);
    expect(Object.keys(operatorView.body)).toEqual(expect.arrayContaining(['status', 'batteryLevel', 'refDevice']));
    const one = await dashboard.get<Entity>(`/ngsi-ld/v1/entities/${encodeURIComponent(spots()[0]?.entityId ?? '')}`);
    expect(Object.keys(one.body).sort()).toEqual(['id', 'status', 'type']);
    expect((await dashboard.get(`/ngsi-ld/v1/entities/${encodeURIComponent(station().entityId)}`)).status).toBe(403);

    // the history is read under the same grant
    const history = await dashboard.get<Array<Record<string, unknown>>>(
      `/ngsi-ld/v1/temporal/entities?type=ParkingSpot&attrs=status,batteryLevel&timerel=after&timeAt=${startedAt}&options=temporalValues`,
    );
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(spots().length);
    for (const series of history.body) {
      expect(series).toHaveProperty('status');
      expect(series).not.toHaveProperty('batteryLevel');
    }
    expect((await dashboard.get(`/ngsi-ld/v1/temporal/entities/${encodeURIComponent(station().entityId)}?attrs=no2`)).status).toBe(403);

    // reading is not writing
    const write = await dashboard.patch(`/ngsi-ld/v1/entities/${encodeURIComponent(spots()[0]?.entityId ?? '')}/attrs`, { status: { type: 'Property', value: 'closed' } });
    expect(write.status).toBe(403);
  });

  it('receives in its subscriptions’ notifications only what it may read', async () => {
    for (const [path, type] of [
      ['/dashboard/parking', 'ParkingSpot'],
      ['/dashboard/air', 'AirQualityObserved'],
    ] as const) {
      const created = await dashboard.post('/ngsi-ld/v1/subscriptions', {
        type: 'Subscription',
        entities: [{ type }],
        notification: { endpoint: { uri: `${receiver.url}${path}`, accept: 'application/json' } },
      });
      expect(created.status).toBe(201);
    }
    const spot = spots()[0] as SimulatedDevice;
    await district.publish({ ids: [spot.id, station().id] });
    const notified = await receiver.waitFor((r) => r.path === '/dashboard/parking' && r.body.includes(spot.entityId), { timeoutMs: 30_000 });
    const data = (JSON.parse(notified.body) as { data: Entity[] }).data;
    expect(data.map((entity) => Object.keys(entity).sort())).toEqual([['id', 'status', 'type']]);
    // the station's reading was committed with the spot's; a notification would have come by now
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(receiver.requests.filter((r) => r.path === '/dashboard/air')).toEqual([]);
  });

  it('has the grant, the refusals and the provisioning in the audit ledger, whose chain verifies', async () => {
    await until(
      async () => (await ledger('limit=1000')).body.records,
      (records) =>
        ['security:security.policy.create', 'data:data.access.read-denied', 'devices:devices.device.bulk-provision'].every((action) =>
          records.some((record) => `${record.source}:${record.action}` === action),
        ),
      { timeoutMs: 60_000, what: 'grant, refusal and provisioning in the ledger' },
    );
    const refusals = (await ledger('action=data.access.read-denied')).body.records;
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((record) => record.outcome === 'denied' && record.details?.['clientId'] === 'city-dashboard')).toBe(true);
    expect(refusals.map((record) => record.resource?.id)).toContain(station().entityId);
    const grant = (await ledger('action=security.policy.create')).body.records[0];
    expect(grant?.details).toMatchObject({ purpose: 'parking guidance', subject: { kind: 'client', id: 'city-dashboard' }, actions: ['read'] });

    const verified = await city.api('security', 'auditor').get<{ ok: boolean; checkedRecords: number }>('/security/v1/audit/verify');
    expect(verified.body).toMatchObject({ ok: true });
    expect(verified.body.checkedRecords).toBeGreaterThan(3);
  });
});
