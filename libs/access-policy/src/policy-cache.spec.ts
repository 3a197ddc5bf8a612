import { createEvent } from '@urbis/contracts';
import { type Policy, PolicyCache, policyInput } from './index';

const base: Policy = {
  policyId: '6f1f5c0e-8d0a-4d2b-9c1e-2b6c2a0f0a01',
  tenant: 'alpha',
  version: 1,
  subject: { kind: 'client', id: 'parking-app' },
  actions: ['read'],
  resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }],
  purpose: 'parking guidance',
  updatedAt: '2026-12-01T00:00:00.000Z',
};

const changed = (change: 'created' | 'updated' | 'deleted', policy: Policy) =>
  createEvent('security.policy.changed.v2', {
    tenant: policy.tenant,
    source: 'security',
    payload: { policyId: policy.policyId, change, version: policy.version, policy, changedAt: policy.updatedAt },
  });

describe('PolicyCache', () => {
  const request = { tenant: 'alpha', subject: { clientId: 'parking-app' }, action: 'read' as const, entityType: 'ParkingSpot' };

  it('follows creations, updates and deletions, and ignores changes older than what it holds', () => {
    const cache = new PolicyCache();
    const v2 = { ...base, version: 2, resources: [{ kind: 'entity-type' as const, entityType: 'ParkingSpot' }] };
    expect(cache.apply([changed('created', base), changed('updated', v2)])).toBe(2);
    expect(cache.evaluate(request)).toMatchObject({ decision: 'allow', attributes: '*' });
    expect(cache.apply([changed('created', base)])).toBe(0); // a redelivered or late v1
    expect(cache.evaluate(request).attributes).toBe('*');
    cache.apply([changed('deleted', { ...v2, version: 3 })]);
    expect(cache.size).toBe(0);
    expect(cache.apply([changed('updated', v2)])).toBe(0); // cannot come back from the dead
    expect(cache.evaluate(request)).toMatchObject({ decision: 'deny', reason: 'no-grant' });
  });

  it('keeps tenants apart', () => {
    const cache = new PolicyCache();
    cache.apply([changed('created', base), changed('created', { ...base, policyId: '6f1f5c0e-8d0a-4d2b-9c1e-2b6c2a0f0a02', tenant: 'beta' })]);
    expect(cache.policiesOf('alpha').map((p) => p.tenant)).toEqual(['alpha']);
    expect(cache.policiesOf('gamma')).toEqual([]);
  });
});

describe('policyInput', () => {
  it('refuses unknown fields, bad resources and dates out of order, naming each', () => {
    const result = policyInput.safeParse({
      subject: { kind: 'group', id: '' },
      actions: ['read', 'read', 'delete'],
      resources: [{ kind: 'attribute', entityType: 'ParkingSpot' }],
      purpose: 'x',
      validFrom: '2027-01-01T00:00:00Z',
      validUntil: '2026-01-01T00:00:00Z',
      owner: 'me',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['subject.kind', 'subject.id', 'actions', 'resources.0.attributes', '']));
  });

  it('accepts a well-formed document', () => {
    expect(policyInput.parse({ subject: { kind: 'role', id: 'integrator' }, actions: ['read'], resources: [{ kind: 'tenant' }], purpose: 'open data' })).toBeTruthy();
  });
});
