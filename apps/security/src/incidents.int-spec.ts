// Detection and response inside the security service: audit records and uplinks as other
// services publish them cross each tenant's thresholds; incidents are raised with evidence,
// enforcements requested and confirmed; operators acknowledge and resolve; thresholds per tenant.
import { auditEvent, type AuditInput } from '@urbis/audit';
import { createEvent, type ServiceName } from '@urbis/contracts';
import { eventually } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import type { IncidentView } from './incidents/incidents.service';
import { type SecurityHarness, startSecurityHarness } from './test-support/harness.test-helpers';

const record = (source: ServiceName, input: Partial<AuditInput> & Pick<AuditInput, 'tenant' | 'action'>) =>
  auditEvent(source, { actor: { kind: 'device', id: `${input.tenant}/sensor-1` }, resource: { type: 'device' }, outcome: 'denied', ...input });

describe('incidents and response', () => {
  let h: SecurityHarness;

  const incidents = async (tenant: string, query = ''): Promise<IncidentView[]> => {
    const res = await h.call('platformAdmin', 'GET', `/security/v1/incidents${query}`, undefined, { 'x-urbis-tenant': tenant });
    expect(res.status).toBe(200);
    return res.body['incidents'] as IncidentView[];
  };
  const incidentOf = (tenant: string, rule: string) =>
    eventually(async () => (await incidents(tenant, `?rule=${rule}`)).length > 0, { timeoutMs: 30_000, what: `a ${rule} incident of ${tenant}` }).then(async () => (await incidents(tenant, `?rule=${rule}`))[0] as IncidentView);

  beforeAll(async () => {
    h = await startSecurityHarness({ DETECT_MESSAGE_RATE_BUCKET_SECONDS: '1', DETECT_MESSAGE_RATE_FACTOR: '5', DETECT_MESSAGE_RATE_MIN_MESSAGES: '20', ENFORCEMENT_BLOCK_SECONDS: '120' });
    await eventually(async () => (await fetch(`${h.url}/health/ready`)).status === 200, { what: 'ready' });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('raises an incident for repeated failed device logins from one address and asks connectivity to block it', async () => {
    // nine single refusals and one aggregated record of three: twelve failures, threshold 10 in 60 s
    const failures = Array.from({ length: 9 }, (_, i) =>
      record('connectivity', { tenant: 'alpha', action: 'connectivity.mqtt.bad-token', actor: { kind: 'device', id: `alpha/sensor-${i}` }, reason: 'bad-token', details: { address: '203.0.113.7', transport: 'mqtt' } }),
    );
    failures.push(record('connectivity', { tenant: 'alpha', action: 'connectivity.mqtt.unknown-device', reason: 'unknown-device', details: { address: '203.0.113.7', count: 3 } }));
    await h.publish('security.audit.recorded.v1', failures);
    const [raised] = await h.reader.waitForEvents('security.incident.raised.v1', (e) => e.tenant === 'alpha' && e.payload.rule === 'device-auth-failures', 1, 30_000);
    expect(raised?.event.payload).toMatchObject({
      kind: 'auth-failures',
      severity: 'high',
      subject: { kind: 'address', id: '203.0.113.7' },
      summary: expect.stringContaining('failed device logins from address 203.0.113.7'),
      evidence: { rule: 'device-auth-failures', occurrences: expect.any(Number), threshold: { count: 10, windowSeconds: 60, origin: 'default' } },
    });
    expect(Number((raised?.event.payload.evidence as Record<string, unknown>)['occurrences'])).toBeGreaterThanOrEqual(10);
    expect(((raised?.event.payload.evidence as Record<string, unknown>)['samples'] as unknown[]).length).toBeGreaterThan(0);
    const [block] = await h.reader.waitForEvents('security.enforcement.requested.v2', (e) => e.payload.incidentId === raised?.event.payload.incidentId);
    expect(block?.key).toBe('alpha/203.0.113.7');
    expect(block?.event.payload).toMatchObject({ action: 'block-address', target: '203.0.113.7' });
    const until = Date.parse((block?.event.payload as { until: string }).until);
    expect(until - Date.now()).toBeGreaterThan(100_000);
    expect(until - Date.now()).toBeLessThanOrEqual(120_000);

    const incident = await incidentOf('alpha', 'device-auth-failures');
    expect(incident).toMatchObject({ status: 'open', subject: { kind: 'address', id: '203.0.113.7' }, enforcements: [{ action: 'block-address', status: 'requested' }] });

    // connectivity's replicas confirm; the confirmation is kept on the enforcement
    const enforcementId = incident.enforcements[0]?.enforcementId as string;
    for (const appliedBy of ['connectivity/replica-a', 'connectivity/replica-b', 'connectivity/replica-a']) {
      await h.publish('security.enforcement.applied.v1', [
        createEvent('security.enforcement.applied.v1', { tenant: 'alpha', source: 'connectivity', payload: { enforcementId, action: 'block-address', target: '203.0.113.7', outcome: 'applied', appliedBy, at: new Date().toISOString() } }),
      ]);
    }
    await eventually(async () => (await incidentOf('alpha', 'device-auth-failures')).enforcements[0]?.status === 'applied', { what: 'the block confirmed' });
    await eventually(async () => ((await incidentOf('alpha', 'device-auth-failures')).enforcements[0]?.reports as unknown[]).length === 2, { what: 'one report per replica' });

    // the burst goes on: the same incident grows, no second incident, no second block while the first holds
    await h.publish('security.audit.recorded.v1', failures);
    await eventually(async () => (await incidentOf('alpha', 'device-auth-failures')).occurrences >= 20, { timeoutMs: 30_000, what: 'occurrences added' });
    expect(await incidents('alpha', '?rule=device-auth-failures')).toHaveLength(1);
    expect(h.reader.events('security.enforcement.requested.v2', (e) => e.tenant === 'alpha')).toHaveLength(1);
    expect(h.reader.events('security.incident.raised.v1', (e) => e.tenant === 'alpha' && e.payload.rule === 'device-auth-failures')).toHaveLength(1);
  });

  it('lets operators acknowledge and resolve incidents, audited; auditors only read', async () => {
    const incident = await incidentOf('alpha', 'device-auth-failures');
    const path = `/security/v1/incidents/${incident.incidentId}`;
    expect((await h.call('auditor', 'GET', path)).status).toBe(200);
    expect((await h.call('auditor', 'POST', `${path}/acknowledge`, {})).status).toBe(403);
    expect((await h.call('integrator', 'GET', '/security/v1/incidents')).status).toBe(403);
    expect((await h.call('betaOperator', 'GET', path)).status).toBe(404);
    const acknowledged = await h.call('operator', 'POST', `${path}/acknowledge`, { note: 'looking at the gateway' });
    expect(acknowledged.body).toMatchObject({ status: 'acknowledged', acknowledged: { by: expect.any(String) }, note: 'looking at the gateway' });
    expect((await h.call('operator', 'POST', `${path}/acknowledge`)).body).toMatchObject({ code: 'illegal-incident-transition', status: 409 });
    expect((await h.call('tenantAdmin', 'POST', `${path}/resolve`, { note: 'credential stuffing from a test rig' })).body).toMatchObject({ status: 'resolved' });
    expect((await h.call('tenantAdmin', 'POST', `${path}/resolve`)).status).toBe(409);
    expect((await h.call('tenantAdmin', 'POST', `/security/v1/incidents/${randomUUID()}/resolve`)).status).toBe(404);
    expect((await h.call('tenantAdmin', 'POST', `${path}/resolve`, { verdict: 'x' })).status).toBe(400);
    await eventually(
      async () => {
        const res = await h.call('auditor', 'GET', '/security/v1/audit/records?resourceType=incident&limit=100');
        const actions = (res.body['records'] as Array<{ action: string }>).map((r) => r.action);
        return ['security.incident.raise', 'security.incident.acknowledge', 'security.incident.resolve'].every((a) => actions.includes(a));
      },
      { timeoutMs: 30_000, what: 'raise, acknowledge and resolve in the ledger' },
    );
    // a new burst after resolution is a new incident
    const again = Array.from({ length: 10 }, () => record('connectivity', { tenant: 'alpha', action: 'connectivity.mqtt.bad-token', reason: 'bad-token', details: { address: '203.0.113.7' } }));
    await h.publish('security.audit.recorded.v1', again);
    await eventually(async () => (await incidents('alpha', '?rule=device-auth-failures')).length === 2, { timeoutMs: 30_000, what: 'a second incident' });
  });

  it('uses each tenant’s own thresholds: rejected payloads and a device suspension for beta', async () => {
    expect((await h.call('betaOperator', 'PUT', '/security/v1/incidents/thresholds/rejected-payloads', { count: 3, windowSeconds: 60, enforce: true })).status).toBe(403);
    const bad = await h.call('betaTenantAdmin', 'PUT', '/security/v1/incidents/thresholds/message-rate', { count: 0, windowSeconds: 60 });
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as unknown[]).length).toBeGreaterThanOrEqual(2);
    const set = await h.call('betaTenantAdmin', 'PUT', '/security/v1/incidents/thresholds/rejected-payloads', { count: 3, windowSeconds: 60, enforce: true });
    expect(set.body).toEqual({ rule: 'rejected-payloads', count: 3, windowSeconds: 60, enforce: true, origin: 'tenant' });
    const listed = await h.call('betaAuditor', 'GET', '/security/v1/incidents/thresholds');
    expect((listed.body['thresholds'] as Array<{ rule: string; origin: string }>).map((t) => [t.rule, t.origin])).toEqual(
      expect.arrayContaining([['rejected-payloads', 'tenant'], ['device-auth-failures', 'default']]),
    );
    await h.publish('security.audit.recorded.v1', [
      record('devices', { tenant: 'beta', action: 'device.uplink.decode', outcome: 'failed', actor: { kind: 'device', id: 'meter-9' }, reason: 'codec failed' }),
      record('connectivity', { tenant: 'beta', action: 'connectivity.http.payload-size', actor: { kind: 'device', id: 'beta/meter-9' }, reason: 'payload-size' }),
      record('devices', { tenant: 'beta', action: 'device.uplink.decode', outcome: 'failed', actor: { kind: 'device', id: 'meter-9' }, reason: 'codec failed' }),
    ]);
    const incident = await incidentOf('beta', 'rejected-payloads');
    expect(incident).toMatchObject({ kind: 'rejected-payloads', subject: { kind: 'device', id: 'meter-9' }, occurrences: 3, enforcements: [{ action: 'suspend-device', target: 'meter-9' }] });
    // alpha keeps the default (50 in 60 s): three failures raise nothing there
    await h.publish('security.audit.recorded.v1', [1, 2, 3].map(() => record('devices', { tenant: 'alpha', action: 'device.uplink.decode', outcome: 'failed', actor: { kind: 'device', id: 'meter-9' } })));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await incidents('alpha', '?rule=rejected-payloads')).toEqual([]);
  });

  it('raises policy-violation incidents for tokens used against another tenant, without an automatic response', async () => {
    await h.publish(
      'security.audit.recorded.v1',
      [1, 2, 3].map(() =>
        record('data', { tenant: 'alpha', action: 'auth.tenant-mismatch', actor: { kind: 'user', id: 'sub-7' }, resource: { type: 'route', id: 'GET /ngsi-ld/v1/entities' }, reason: 'tenant-mismatch', details: { clientId: 'city-dashboard', requestedTenant: 'beta', address: '198.51.100.4' } }),
      ),
    );
    const incident = await incidentOf('alpha', 'cross-tenant-tokens');
    expect(incident).toMatchObject({ kind: 'policy-violation', severity: 'high', subject: { kind: 'client', id: 'city-dashboard' }, enforcements: [] });
  });

  it('raises and blocks on webhook signature failures from one address', async () => {
    await h.publish('security.audit.recorded.v1', [1, 2, 3, 4, 5].map(() => record('integration', { tenant: 'alpha', action: 'integration.webhook.signature-rejected', actor: { kind: 'client', id: 'anonymous' }, details: { address: '192.0.2.44' } })));
    const incident = await incidentOf('alpha', 'webhook-signature-failures');
    expect(incident).toMatchObject({ subject: { kind: 'address', id: '192.0.2.44' }, enforcements: [{ action: 'block-address', target: '192.0.2.44' }] });
  });

  it('raises a flood incident when a device’s message rate goes far above its own baseline', async () => {
    const uplink = (deviceId: string, at: number) =>
      createEvent('connectivity.uplink.received.v1', { tenant: 'alpha', source: 'connectivity', payload: { deviceId, transport: 'mqtt', receivedAt: new Date(at).toISOString(), payload: 'AQI=' } });
    const start = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const steady = [0, 1, 2, 3, 4].flatMap((second) => [uplink('counter-1', start + second * 1000 + 100), uplink('counter-1', start + second * 1000 + 600)]);
    const flood = Array.from({ length: 40 }, (_, i) => uplink('counter-1', start + 5000 + i * 10));
    const calm = Array.from({ length: 40 }, (_, i) => uplink('counter-2', start + i * 200)); // 40 msgs spread evenly: its own normal
    await h.publish('connectivity.uplink.received.v1', [...steady, ...calm, ...flood]);
    const incident = await incidentOf('alpha', 'message-rate');
    expect(incident).toMatchObject({ kind: 'flood', subject: { kind: 'device', id: 'counter-1' }, evidence: { threshold: { factor: 5, minMessages: 20, baseline: expect.any(Number) } } });
    expect((await incidents('alpha', '?rule=message-rate')).map((i) => i.subject.id)).toEqual(['counter-1']);
  });
});
