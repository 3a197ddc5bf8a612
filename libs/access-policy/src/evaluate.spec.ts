import { evaluate, type Policy } from './index';

const policy = (overrides: Partial<Policy>): Policy => ({
  policyId: '00000000-0000-4000-8000-000000000001',
  tenant: 'alpha',
  version: 1,
  subject: { kind: 'client', id: 'parking-app' },
  actions: ['read'],
  resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }],
  purpose: 'parking guidance',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});

const integrator = { clientId: 'parking-app', userId: 'sa-1', roles: ['integrator'] };

describe('evaluate', () => {
  const spot = policy({});

  it('an integrator granted ParkingSpot.status sees that attribute and nothing else', () => {
    expect(evaluate([spot], { tenant: 'alpha', subject: integrator, action: 'read', entityType: 'ParkingSpot', attributes: ['status', 'location', 'owner'] })).toEqual({
      decision: 'allow',
      attributes: ['status'],
      deniedAttributes: ['location', 'owner'],
      reason: 'granted',
      detail: 'read on ParkingSpot granted for status; not for location, owner',
      policies: [spot.policyId],
    });
    expect(evaluate([spot], { tenant: 'alpha', subject: integrator, action: 'read', entityType: 'ParkingSpot' })).toMatchObject({ decision: 'allow', attributes: ['status'] });
  });

  it('denies by default: another entity type, tenant, action or caller', () => {
    const base = { tenant: 'alpha', subject: integrator, action: 'read' as const, entityType: 'ParkingSpot', attributes: ['status'] };
    expect(evaluate([spot], { ...base, entityType: 'AirQualityObserved' })).toMatchObject({ decision: 'deny', reason: 'no-grant', attributes: [] });
    expect(evaluate([spot], { ...base, tenant: 'beta' })).toMatchObject({ decision: 'deny', reason: 'no-grant' });
    expect(evaluate([spot], { ...base, action: 'write' })).toMatchObject({ decision: 'deny', reason: 'no-grant' });
    expect(evaluate([spot], { ...base, subject: { clientId: 'other-app', roles: ['integrator'] } })).toMatchObject({ decision: 'deny' });
    expect(evaluate([spot], { ...base, attributes: ['location'] })).toMatchObject({ decision: 'deny', reason: 'attributes-not-granted', deniedAttributes: ['location'] });
    expect(evaluate([], base)).toMatchObject({ decision: 'deny', reason: 'no-grant' });
  });

  it('applies grants only within their validity dates', () => {
    const timed = policy({ validFrom: '2026-12-01T00:00:00.000Z', validUntil: '2027-01-01T00:00:00.000Z' });
    const request = { tenant: 'alpha', subject: integrator, action: 'read' as const, entityType: 'ParkingSpot', attributes: ['status'] };
    expect(evaluate([timed], { ...request, at: new Date('2026-12-15T00:00:00Z') }).decision).toBe('allow');
    expect(evaluate([timed], { ...request, at: new Date('2026-11-30T23:59:59Z') })).toMatchObject({ decision: 'deny', reason: 'outside-validity' });
    expect(evaluate([timed], { ...request, at: new Date('2027-01-01T00:00:00Z') })).toMatchObject({ decision: 'deny', reason: 'outside-validity' });
  });

  it('matches subjects by client, user or role, and a stated purpose', () => {
    const byRole = policy({ policyId: '00000000-0000-4000-8000-000000000002', subject: { kind: 'role', id: 'auditor' }, resources: [{ kind: 'entity-type', entityType: 'ParkingSpot' }] });
    const byUser = policy({ policyId: '00000000-0000-4000-8000-000000000003', subject: { kind: 'user', id: 'u-7' }, resources: [{ kind: 'tenant' }], purpose: 'research' });
    const request = { tenant: 'alpha', action: 'read' as const, entityType: 'ParkingSpot', attributes: ['status', 'location'] };
    expect(evaluate([byRole], { ...request, subject: { roles: ['auditor'] } })).toMatchObject({ decision: 'allow', attributes: ['status', 'location'], deniedAttributes: [] });
    expect(evaluate([byUser], { ...request, subject: { userId: 'u-7' } })).toMatchObject({ decision: 'allow' });
    expect(evaluate([byUser], { ...request, subject: { userId: 'u-7' }, purpose: 'marketing' })).toMatchObject({ decision: 'deny', reason: 'no-grant' });
    expect(evaluate([byUser], { ...request, subject: { userId: 'u-7' }, purpose: 'research' }).decision).toBe('allow');
  });

  it('unites several grants, and writes need every attribute they change', () => {
    const write = policy({ policyId: '00000000-0000-4000-8000-000000000004', actions: ['read', 'write'], resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['occupancy'] }] });
    const both = [spot, write];
    expect(evaluate(both, { tenant: 'alpha', subject: integrator, action: 'read', entityType: 'ParkingSpot' })).toMatchObject({ attributes: ['occupancy', 'status'], policies: [spot.policyId, write.policyId] });
    expect(evaluate(both, { tenant: 'alpha', subject: integrator, action: 'write', entityType: 'ParkingSpot', attributes: ['occupancy'] }).decision).toBe('allow');
    expect(evaluate(both, { tenant: 'alpha', subject: integrator, action: 'write', entityType: 'ParkingSpot', attributes: ['occupancy', 'status'] })).toMatchObject({ decision: 'deny', reason: 'attributes-not-granted', deniedAttributes: ['status'] });
  });

  it('reads data products as named bundles of entity types and attributes', () => {
    const product = policy({
      resources: [{ kind: 'data-product', dataProduct: 'mobility-open-data', entities: [{ entityType: 'ParkingSpot', attributes: ['status'] }, { entityType: 'TrafficFlowObserved' }] }],
    });
    const request = { tenant: 'alpha', subject: integrator, action: 'read' as const };
    expect(evaluate([product], { ...request, entityType: 'TrafficFlowObserved' })).toMatchObject({ decision: 'allow', attributes: '*' });
    expect(evaluate([product], { ...request, entityType: 'ParkingSpot', attributes: ['status', 'name'] })).toMatchObject({ attributes: ['status'], deniedAttributes: ['name'] });
  });

  it('lets unrestricted roles through, when the caller chooses some', () => {
    const request = { tenant: 'alpha', subject: { roles: ['operator'] }, action: 'write' as const, entityType: 'ParkingSpot', attributes: ['status'] };
    expect(evaluate([], request).decision).toBe('deny');
    expect(evaluate([], request, { unrestrictedRoles: ['operator', 'tenant-admin'] })).toMatchObject({ decision: 'allow', reason: 'unrestricted-role', attributes: ['status'] });
  });
});
