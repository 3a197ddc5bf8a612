// A burst of bad MQTT logins against the real connectivity service (real mqtt.js clients)
// raises an incident in the real security service, which asks connectivity to block the source
// address; connectivity refuses it (MQTT before CONNACK, HTTP ingest 403) until the block's time
// is up, then lets it in again — each step confirmed back to security and in the audit ledger.
import { createEvent } from '@urbis/contracts';
import { generateDeviceToken, hashDeviceToken } from '@urbis/device-credentials';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import { connectMqtt, eventually, type Platform, startPlatform, testUserTokens } from '@urbis/testing';
import { randomUUID } from 'node:crypto';

interface Incident {
  incidentId: string;
  rule: string;
  status: string;
  subject: { kind: string; id: string };
  occurrences: number;
  evidence: { samples: Array<{ action: string }> };
  enforcements: Array<{ enforcementId: string; action: string; target: string; status: string; until: string; reports: Array<{ appliedBy: string; outcome: string }> }>;
}

const BLOCK_SECONDS = 8;

describe('incident response to a burst of bad MQTT logins', () => {
  let platform: Platform;
  let publisher: EventPublisher;
  let token: ReturnType<typeof testUserTokens>;
  const device = { tenant: 'alpha', deviceId: `gate-${randomUUID().slice(0, 8)}`, token: generateDeviceToken() };
  const login = (deviceId: string, secret: string) => connectMqtt(platform.mqttUrl ?? '', { clientId: `alpha/${deviceId}`, token: secret }, { connectTimeout: 3_000 });

  const incidents = async (): Promise<Incident[]> => {
    const response = await fetch(`${platform.services['security']?.url}/security/v1/incidents?rule=device-auth-failures`, { headers: { authorization: `Bearer ${await token('operator')}` } });
    return ((await response.json()) as { incidents: Incident[] }).incidents;
  };
  const ingest = async () =>
    fetch(`${platform.services['connectivity']?.url}/ingest/v1/alpha/devices/${device.deviceId}`, { method: 'POST', headers: { authorization: `Bearer ${device.token}`, 'content-type': 'text/plain' }, body: '21.5' });

  beforeAll(async () => {
    platform = await startPlatform({
      services: ['connectivity', 'security'],
      env: { security: { ENFORCEMENT_BLOCK_SECONDS: String(BLOCK_SECONDS), DETECT_DEVICE_AUTH_FAILURES: '8/60' } },
    });
    token = testUserTokens(platform.idp);
    publisher = new EventPublisher({ kafka: createKafka({ clientId: 'registry-double', brokers: platform.kafka.bootstrapServers }) });
    await publisher.connect();
    // the registry's view of one real device, as the devices service publishes it
    const now = new Date().toISOString();
    const changed = createEvent('devices.device.changed.v1', { tenant: 'alpha', source: 'devices', payload: { deviceId: device.deviceId, profileId: randomUUID(), state: 'active', tags: [], deleted: false, changedAt: now } });
    const credential = createEvent('devices.credentials.changed.v1', {
      tenant: 'alpha',
      source: 'devices',
      payload: { deviceId: device.deviceId, credentialId: randomUUID(), change: 'issued', tokenHash: await hashDeviceToken(device.token), hashAlgorithm: 'scrypt', validFrom: now, validUntil: null },
    });
    await publisher.publish('devices.device.changed.v1', [changed], { key: messageKeyOf('devices.device.changed.v1', changed) });
    await publisher.publish('devices.credentials.changed.v1', [credential], { key: messageKeyOf('devices.credentials.changed.v1', credential) });
    await eventually(async () => (await login(device.deviceId, device.token).then(async (client) => (await client.endAsync(), true), () => false)), { timeoutMs: 60_000, what: 'the device connects' });
  }, 600_000);

  afterAll(async () => {
    await publisher?.disconnect();
    await platform?.stop();
  });

  it('raises the incident, blocks the address on connectivity, and lets it in again when the block ends', async () => {
    // the attack: guessed device ids and a guessed token for the real one, all from 127.0.0.1
    const refusals = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => login(`guess-${i}`, 'not-a-token')),
      login(device.deviceId, 'wrong-token'),
      login(device.deviceId, 'wrong-again'),
    ].map((attempt) => attempt.then(async (client) => (await client.endAsync(), 'connected'), (error: { code?: number }) => error.code)));
    expect(refusals.every((code) => code === 4 || code === 5)).toBe(true); // CONNACK: bad username or password / not authorized

    const incident = await eventually(async () => (await incidents()).length > 0, { timeoutMs: 60_000, what: 'an incident' }).then(async () => (await incidents())[0] as Incident);
    expect(incident).toMatchObject({ rule: 'device-auth-failures', status: 'open', subject: { kind: 'address', id: '127.0.0.1' } });
    expect(incident.occurrences).toBeGreaterThanOrEqual(8);
    expect(incident.evidence.samples.every((s) => s.action.startsWith('connectivity.mqtt.'))).toBe(true);
    expect(incident.enforcements).toEqual([expect.objectContaining({ action: 'block-address', target: '127.0.0.1' })]);

    // connectivity applied the block and said so
    await eventually(async () => (await incidents())[0]?.enforcements[0]?.status === 'applied', { timeoutMs: 30_000, what: 'the block confirmed by connectivity' });
    expect((await incidents())[0]?.enforcements[0]?.reports).toEqual([expect.objectContaining({ appliedBy: expect.stringMatching(/^connectivity\//), outcome: 'applied' })]);

    // while it holds, even the right token from that address is refused, on MQTT and on HTTP ingest
    const blockedAt = Date.now();
    await expect(login(device.deviceId, device.token)).rejects.toThrow();
    const refused = await ingest();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'address-blocked' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // when the block's time is up, the address is let in again and the block is reported lifted
    const until = Date.parse((await incidents())[0]?.enforcements[0]?.until ?? '');
    expect(until - blockedAt).toBeLessThanOrEqual(BLOCK_SECONDS * 1000);
    await eventually(async () => (await incidents())[0]?.enforcements[0]?.status === 'lifted', { timeoutMs: BLOCK_SECONDS * 1000 + 30_000, what: 'the block lifted' });
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    const client = await login(device.deviceId, device.token);
    await client.endAsync();
    expect((await ingest()).status).toBe(202);
  });

  it('has the attack, the incident and the response in the audit ledger, chained and verified', async () => {
    const get = async (query: string) => {
      const response = await fetch(`${platform.services['security']?.url}/security/v1/audit/${query}`, { headers: { authorization: `Bearer ${await token('auditor')}` } });
      return (await response.json()) as { records: Array<{ source: string; action: string; details: Record<string, unknown> | null }>; ok?: boolean };
    };
    await eventually(
      async () => {
        const actions = new Set((await get('records?limit=1000')).records.map((r) => `${r.source}:${r.action}`));
        return ['connectivity:connectivity.mqtt.unknown-device', 'connectivity:connectivity.mqtt.bad-token', 'security:security.incident.raise', 'security:security.enforcement.block-address', 'connectivity:connectivity.enforcement.block-address'].every((a) => actions.has(a));
      },
      { timeoutMs: 30_000, what: 'attack, incident and response in the ledger' },
    );
    const refusal = (await get('records?action=connectivity.mqtt.bad-token')).records[0];
    expect(refusal?.details).toMatchObject({ address: '127.0.0.1', transport: 'mqtt' });
    expect(await get('verify')).toMatchObject({ ok: true });
  });
});
