// Security's device enforcements applied by the registry, and the registry's audit records:
// provisioning and credential changes are recorded with the caller; a suspension requested by
// security is applied, confirmed, and refused as "nothing to do" the second time.
import { createEvent } from '@urbis/contracts';
import { EventReader } from '@urbis/testing';
import { randomUUID } from 'node:crypto';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, provisionDevices, startDevicesHarness } from './test-support/harness.test-helpers';

describe('enforcement and audit records', () => {
  let h: DevicesHarness;
  let applied: EventReader<'security.enforcement.applied.v1'>;
  let audits: EventReader<'security.audit.recorded.v1'>;

  beforeAll(async () => {
    h = await startDevicesHarness();
    [applied, audits] = await Promise.all([
      new EventReader(h.kafka.bootstrapServers, 'security.enforcement.applied.v1').start(),
      new EventReader(h.kafka.bootstrapServers, 'security.audit.recorded.v1').start(),
    ]);
    await provisionDevices(h, OBSERVATION_FIXTURES[5].profile, ['lamp-7'], ['lamp-7']);
  });
  afterAll(async () => {
    await Promise.allSettled([applied?.stop(), audits?.stop()]);
    await h?.stop();
  });

  it('records provisioning and credential changes with the verified caller, never the token', async () => {
    const issued = await h.call('operator', 'POST', '/devices/v1/devices/lamp-7/credentials', {});
    expect(issued.status).toBe(201);
    const credentialId = (issued.body['credential'] as { id: string }).id;
    expect((await h.call('operator', 'DELETE', `/devices/v1/devices/lamp-7/credentials/${credentialId}`)).status).toBe(200);
    expect((await h.call('operator', 'DELETE', `/devices/v1/devices/lamp-7/credentials/${credentialId}`)).status).toBe(409);
    const [provisioned] = await audits.waitFor((e) => e.payload.action === 'devices.device.provision' && e.payload.resource.id === 'lamp-7');
    expect(provisioned?.event).toMatchObject({ tenant: 'alpha', source: 'devices', payload: { outcome: 'succeeded', actor: { kind: 'user' }, details: { roles: ['operator'] } } });
    await audits.waitFor((e) => e.payload.action === 'devices.device.lifecycle' && e.payload.resource.id === 'lamp-7');
    const [issue] = await audits.waitFor((e) => e.payload.action === 'devices.credential.issue');
    expect(issue?.event.payload).toMatchObject({ resource: { type: 'device', id: 'lamp-7' }, outcome: 'succeeded' });
    const revocations = await audits.waitFor((e) => e.payload.action === 'devices.credential.revoke', 2);
    expect(revocations.map((r) => [r.event.payload.resource.id, r.event.payload.outcome, r.event.payload.reason]).sort()).toEqual([
      [credentialId, 'failed', 'credential-revoked'],
      [credentialId, 'succeeded', undefined],
    ]);
    expect(JSON.stringify(audits.matching(() => true))).not.toContain(String(issued.body['token']));
  });

  it('suspends a device on security’s request and confirms it; a second request is skipped', async () => {
    const request = () =>
      createEvent('security.enforcement.requested.v2', {
        tenant: 'alpha',
        source: 'security',
        payload: { enforcementId: randomUUID(), incidentId: randomUUID(), action: 'suspend-device', target: 'lamp-7', reason: '60 rejected payloads within 60 s', requestedAt: new Date().toISOString() },
      });
    const first = request();
    await h.publish('security.enforcement.requested.v2', [first]);
    const [confirmation] = await applied.waitFor((e) => e.payload.enforcementId === first.payload.enforcementId);
    expect(confirmation?.event).toMatchObject({ tenant: 'alpha', source: 'devices', payload: { action: 'suspend-device', target: 'lamp-7', outcome: 'applied', appliedBy: 'devices' } });
    expect((await h.call('auditor', 'GET', '/devices/v1/devices/lamp-7')).body).toMatchObject({ state: 'suspended' });
    const [lifecycle] = await h.reader.waitForEvents('devices.lifecycle.changed.v1', (e) => e.payload.deviceId === 'lamp-7' && e.payload.to === 'suspended');
    expect(lifecycle?.event.payload.reason).toContain('security: 60 rejected payloads');
    await audits.waitFor((e) => e.payload.action === 'devices.enforcement.suspend-device' && e.payload.outcome === 'succeeded');

    const second = request();
    await h.publish('security.enforcement.requested.v2', [second]);
    const [skipped] = await applied.waitFor((e) => e.payload.enforcementId === second.payload.enforcementId);
    expect(skipped?.event.payload).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('suspended') });
    // address blocks are connectivity's: the registry leaves them alone
    await h.publish('security.enforcement.requested.v2', [
      createEvent('security.enforcement.requested.v2', { tenant: 'alpha', source: 'security', payload: { enforcementId: randomUUID(), action: 'block-address', target: '203.0.113.9', until: new Date(Date.now() + 60_000).toISOString(), reason: 'x', requestedAt: new Date().toISOString() } }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(applied.matching((e) => e.payload.target === '203.0.113.9')).toEqual([]);
  });
});
