// Data-access policies end to end: created, changed and deleted through the API; each change
// published whole on security.policy.changed.v2 and audited in the ledger; decisions from the
// endpoint (called by a service with a client-credentials token) and from a local cache fed by
// the topic agree; bad documents are refused precisely.
import { type Policy, PolicyCache, PolicyFeed } from '@urbis/access-policy';
import { ServiceTokenSource } from '@urbis/auth';
import { createKafka } from '@urbis/messaging';
import { eventually, TEST_CLIENTS } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { type SecurityHarness, startSecurityHarness } from './test-support/harness.test-helpers';

const parkingGrant = {
  description: 'Parking guidance app: occupancy only',
  subject: { kind: 'client', id: 'city-dashboard' },
  actions: ['read'],
  resources: [{ kind: 'attribute', entityType: 'ParkingSpot', attributes: ['status'] }],
  purpose: 'parking guidance',
  validFrom: '2026-01-01T00:00:00Z',
};

describe('data-access policies and decisions', () => {
  let h: SecurityHarness;
  let dataService: ServiceTokenSource;
  let created: Policy;

  const ledgerActions = async (tenant: string) => {
    const res = await h.call('platformAdmin', 'GET', '/security/v1/audit/records?limit=1000', undefined, { 'x-urbis-tenant': tenant });
    return (res.body['records'] as Array<{ action: string; actor: { id: string }; resource: { id: string }; reason: string | null; details: Record<string, unknown> }>) ?? [];
  };

  beforeAll(async () => {
    h = await startSecurityHarness();
    const [clientId, clientSecret] = TEST_CLIENTS.dataService;
    dataService = new ServiceTokenSource({ realmUrl: h.idp.issuer, clientId, clientSecret });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('creates a policy, publishes it whole and audits who did it', async () => {
    const res = await h.call('tenantAdmin', 'POST', '/security/v1/policies', parkingGrant);
    expect(res.status).toBe(201);
    created = res.body as unknown as Policy;
    expect(created).toMatchObject({ ...parkingGrant, tenant: 'alpha', version: 1, policyId: expect.any(String), validFrom: '2026-01-01T00:00:00Z' });
    const [published] = await h.reader.waitForEvents('security.policy.changed.v2', (e) => e.payload.policyId === created.policyId);
    expect(published?.key).toBe(`alpha/${created.policyId}`);
    expect(published?.event.payload).toMatchObject({ change: 'created', version: 1, policy: created });
    await eventually(async () => (await ledgerActions('alpha')).some((r) => r.action === 'security.policy.create' && r.resource.id === created.policyId), { timeoutMs: 30_000, what: 'the creation in the ledger' });
    const record = (await ledgerActions('alpha')).find((r) => r.action === 'security.policy.create');
    expect(record?.details).toMatchObject({ clientId: 'test-app', callerTenant: 'alpha', version: 1, purpose: 'parking guidance' });
    expect((await h.call('auditor', 'GET', `/security/v1/policies/${created.policyId}`)).body).toEqual(created);
    expect((await h.call('auditor', 'GET', '/security/v1/policies?subjectKind=client&subjectId=city-dashboard')).body).toMatchObject({ total: 1, policies: [created] });
  });

  it('decides for a service calling with a client-credentials token: the granted attribute and nothing else', async () => {
    const decide = async (body: unknown) => {
      const response = await fetch(`${h.url}/security/v1/decisions`, {
        method: 'POST',
        headers: { authorization: await dataService.authorization(), 'content-type': 'application/json', 'x-urbis-tenant': 'alpha' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const subject = { clientId: 'city-dashboard', roles: ['integrator'] };
    expect(await decide({ subject, action: 'read', entityType: 'ParkingSpot', attributes: ['status', 'location'] })).toEqual({
      status: 200,
      body: { decision: 'allow', attributes: ['status'], deniedAttributes: ['location'], reason: 'granted', detail: expect.any(String), policies: [created.policyId] },
    });
    expect((await decide({ subject, action: 'write', entityType: 'ParkingSpot', attributes: ['status'] })).body).toMatchObject({ decision: 'deny', reason: 'no-grant' });
    expect((await decide({ subject, action: 'read', entityType: 'AirQualityObserved' })).body).toMatchObject({ decision: 'deny' });
    expect((await decide({ subject, action: 'read', entityType: 'ParkingSpot', at: '2025-06-01T00:00:00Z' })).body).toMatchObject({ decision: 'deny', reason: 'outside-validity' });
    // the same tenant's policies do not apply to another tenant
    expect((await h.call('betaTenantAdmin', 'POST', '/security/v1/decisions', { subject, action: 'read', entityType: 'ParkingSpot' })).body).toMatchObject({ decision: 'deny', reason: 'no-grant' });
    // every denial is in the ledger, with what was asked
    await eventually(async () => (await ledgerActions('alpha')).filter((r) => r.action === 'security.decision.deny').length >= 3, { timeoutMs: 30_000, what: 'denials audited' });
    const denial = (await ledgerActions('alpha')).find((r) => r.action === 'security.decision.deny' && r.resource.id === 'AirQualityObserved');
    expect(denial).toMatchObject({ reason: 'no-grant', details: { clientId: 'urbis-data', subject: { clientId: 'city-dashboard' } } });
  });

  it('decides the same locally, from a cache fed by security.policy.changed.v2', async () => {
    const cache = new PolicyCache();
    const feed = new PolicyFeed({ kafka: createKafka({ clientId: 'data-replica', brokers: h.kafka.bootstrapServers }), cache, groupId: `urbis-data-policies-${randomUUID()}` });
    await feed.start();
    try {
      expect(cache.evaluate({ tenant: 'alpha', subject: { clientId: 'city-dashboard', roles: ['integrator'] }, action: 'read', entityType: 'ParkingSpot', attributes: ['status', 'location'] })).toMatchObject({
        decision: 'allow',
        attributes: ['status'],
      });
      // a change through the API reaches the cache
      const widened = { ...parkingGrant, resources: [{ kind: 'entity-type', entityType: 'ParkingSpot' }] };
      const stale = await h.call('tenantAdmin', 'PUT', `/security/v1/policies/${created.policyId}`, widened, { 'if-match': '"7"' });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ code: 'version-conflict', currentVersion: 1 });
      const replaced = await h.call('tenantAdmin', 'PUT', `/security/v1/policies/${created.policyId}`, widened, { 'if-match': '"1"' });
      expect(replaced.body).toMatchObject({ version: 2 });
      await eventually(() => cache.evaluate({ tenant: 'alpha', subject: { clientId: 'city-dashboard' }, action: 'read', entityType: 'ParkingSpot' }).attributes === '*', { what: 'the update in the cache' });
      expect((await h.call('tenantAdmin', 'DELETE', `/security/v1/policies/${created.policyId}`)).status).toBe(204);
      await eventually(() => cache.size === 0, { what: 'the deletion in the cache' });
      const [deleted] = await h.reader.waitForEvents('security.policy.changed.v2', (e) => e.payload.change === 'deleted');
      expect(deleted?.event.payload).toMatchObject({ version: 3, policy: { policyId: created.policyId } });
      expect((await h.call('auditor', 'GET', `/security/v1/policies/${created.policyId}`)).status).toBe(404);
      await eventually(async () => (await ledgerActions('alpha')).some((r) => r.action === 'security.policy.delete'), { timeoutMs: 30_000, what: 'the deletion audited' });
    } finally {
      await feed.stop();
    }
  });

  it('refuses malformed, invalid and oversized documents precisely, echoing nothing', async () => {
    const malformed = await h.call('tenantAdmin', 'POST', '/security/v1/policies', '{"subject": {"kind": "client",');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    const invalid = await h.call('tenantAdmin', 'POST', '/security/v1/policies', {
      subject: { kind: 'role', id: 'superuser' },
      actions: ['read', 'delete'],
      resources: [{ kind: 'attribute', entityType: 'ParkingSpot' }],
      purpose: '',
      validFrom: 'yesterday',
      owner: 'mallory',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'policy-invalid', type: 'https://urbis.city/problems/security/policy-invalid' });
    const paths = (invalid.body['errors'] as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['actions.1', 'resources.0.attributes', 'purpose', 'validFrom', '']));
    expect(invalid.text).not.toContain('mallory');
    const role = await h.call('tenantAdmin', 'POST', '/security/v1/policies', { ...parkingGrant, subject: { kind: 'role', id: 'superuser' } });
    expect(role.body['errors']).toEqual([{ path: 'subject.id', message: expect.stringContaining('not a realm role') }]);
    const padding = 'x'.repeat(70_000);
    const big = await h.call('tenantAdmin', 'POST', '/security/v1/policies', { ...parkingGrant, description: padding });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'policy-too-large', limit: 65_536 });
    expect(big.text).not.toContain('xxxx');
    const huge = await h.call('tenantAdmin', 'POST', '/security/v1/policies', { ...parkingGrant, description: 'y'.repeat(2_000_000) });
    expect(huge.status).toBe(413);
    expect(huge.text).not.toContain('yyyy');
    expect((await h.call('tenantAdmin', 'POST', '/security/v1/policies', [parkingGrant])).body).toMatchObject({ code: 'policy-invalid' });
    expect((await h.call('tenantAdmin', 'GET', '/security/v1/policies/not-a-uuid')).status).toBe(400);
    expect((await h.call('tenantAdmin', 'PUT', `/security/v1/policies/${randomUUID()}`, parkingGrant)).status).toBe(404);
  });

  it('lets only tenant and platform admins change policies, within their tenant', async () => {
    for (const user of ['integrator', 'operator', 'auditor', 'noRole'] as const) {
      expect((await h.call(user, 'POST', '/security/v1/policies', parkingGrant)).status).toBe(403);
    }
    expect((await h.call('integrator', 'GET', '/security/v1/policies')).status).toBe(403);
    expect((await h.call('integrator', 'POST', '/security/v1/decisions', { subject: { clientId: 'x' }, action: 'read', entityType: 'T' })).status).toBe(403);
    const own = await h.call('tenantAdmin', 'POST', '/security/v1/policies', parkingGrant);
    const policyId = String(own.body['policyId']);
    expect((await h.call('betaTenantAdmin', 'GET', `/security/v1/policies/${policyId}`)).status).toBe(404);
    expect((await h.call('betaTenantAdmin', 'DELETE', `/security/v1/policies/${policyId}`, undefined, { 'x-urbis-tenant': 'alpha' })).status).toBe(403);
    expect((await h.call('platformAdmin', 'DELETE', `/security/v1/policies/${policyId}`, undefined, { 'x-urbis-tenant': 'alpha' })).status).toBe(204);
  });
});
