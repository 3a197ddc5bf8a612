import { EventReader, metricValue } from '@urbis/testing';
import { randomBytes } from 'node:crypto';
import {
  type ConnectivitySuite,
  type DevicesServiceDouble,
  startConnectivitySuite,
  type TestService,
} from '../test-support/harness.test-helpers';
import { chirpstackJoin, chirpstackStatus, chirpstackUp, ttsJoinAccept, ttsUplink } from './network-server-fixtures.test-helpers';

const SECRET = 'alpha-webhook-secret-0123456789';

describe('LoRaWAN network-server webhooks', () => {
  let suite: ConnectivitySuite;
  let service: TestService;
  let devices: DevicesServiceDouble;
  let uplinks: EventReader<'connectivity.uplink.received.v1'>;

  beforeAll(async () => {
    suite = await startConnectivitySuite('connectivity_lorawan', { LORAWAN_WEBHOOK_SECRETS: `alpha=${SECRET},beta=beta-webhook-secret-987654321`, LORAWAN_DEDUP_WINDOW_MS: '300' });
    ({ service, devices } = suite);
    uplinks = await suite.reader('connectivity.uplink.received.v1');
  });

  afterAll(() => suite?.stop());

  const newEui = () => randomBytes(8).toString('hex').toUpperCase();
  const lorawanDevice = async (tenant = 'alpha') => {
    const devEui = newEui();
    const device = await devices.register(tenant, { lorawan: { devEui } });
    return { ...device, devEui };
  };
  const webhook = (path: string, body: unknown, secret = SECRET, tenant = 'alpha') =>
    fetch(`${service.url}/lorawan/v1/${tenant}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('merges one frame heard by three gateways (two via ChirpStack, one via TTS) into one uplink', async () => {
    const device = await lorawanDevice();
    const data = Buffer.from([0x03, 0x67, 0x01, 0x10]);
    const responses = await Promise.all([
      webhook('chirpstack?event=up', chirpstackUp(device.devEui, 10, data, [{ gatewayId: 'gw-north', rssi: -97, snr: 5.5 }])),
      webhook('chirpstack?event=up', chirpstackUp(device.devEui, 10, data, [{ gatewayId: 'gw-south', rssi: -110, snr: -2 }])),
      webhook('tts', ttsUplink(device.devEui, 10, data, [{ gatewayId: 'gw-east', rssi: -104, snr: 1.5 }])),
    ]);
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { eventId: string }[];
    expect(new Set(bodies.map((body) => body.eventId)).size).toBe(1);

    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 1, 2_000);
    expect(read?.event.id).toBe(bodies[0]?.eventId);
    expect(read?.event.payload).toMatchObject({ transport: 'lorawan', payload: data.toString('base64') });
    expect(read?.event.payload.lorawan).toMatchObject({ devEui: device.devEui.toLowerCase(), fCnt: 10, fPort: 2 });
    expect(read?.event.payload.lorawan?.gateways.map((gateway) => gateway.gatewayId).sort()).toEqual(['gw-east', 'gw-north', 'gw-south']);
    expect(read?.event.payload.lorawan?.gateways.find((gateway) => gateway.gatewayId === 'gw-north')).toMatchObject({ rssi: -97, snr: 5.5 });
  });

  it('answers a late copy as a duplicate, refuses an older fCnt, and accepts it again after a join', async () => {
    const device = await lorawanDevice();
    const up = (fCnt: number) => chirpstackUp(device.devEui, fCnt, Buffer.from(`f${fCnt}`), [{ gatewayId: 'gw-1', rssi: -90, snr: 3 }]);
    expect((await webhook('chirpstack?event=up', up(5))).status).toBe(202);
    const late = await webhook('chirpstack?event=up', up(5));
    expect(late.status).toBe(202);
    expect(await late.json()).toMatchObject({ duplicate: true });

    const before = await metricValue(service.url, 'connectivity_rejections_total', { transport: 'lorawan', reason: 'replayed-frame' });
    const replay = await webhook('chirpstack?event=up', up(4));
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(await replay.json()).toMatchObject({ code: 'replayed-frame', lastFCnt: 5 });
    expect(await metricValue(service.url, 'connectivity_rejections_total', { transport: 'lorawan', reason: 'replayed-frame' })).toBe(before + 1);

    expect((await webhook('chirpstack?event=join', chirpstackJoin(device.devEui))).status).toBe(202);
    expect((await webhook('chirpstack?event=up', up(0))).status).toBe(202);
    const reads = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 2);
    expect(reads.map((read) => read.event.payload.lorawan?.fCnt)).toEqual([5, 0]);

    expect((await webhook('tts', ttsJoinAccept(device.devEui))).status).toBe(202);
    expect((await webhook('chirpstack?event=status', chirpstackStatus(device.devEui))).status).toBe(202);
  });

  it('refuses wrong secrets, foreign tenants, bad JSON, bad bodies and unknown DevEUIs precisely', async () => {
    const device = await lorawanDevice();
    const body = chirpstackUp(device.devEui, 1, Buffer.from('x'), [{ gatewayId: 'gw-1', rssi: -90, snr: 3 }]);

    const audit = await suite.reader('security.audit.recorded.v1');
    const wrongSecret = await webhook('chirpstack?event=up', body, 'not-the-secret-at-all');
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ code: 'webhook-unauthenticated' });
    // security's webhook-signature rule sees it, by source address
    const [refused] = await audit.waitFor((event) => event.payload.action === 'connectivity.lorawan.webhook-unauthenticated');
    expect(refused?.event).toMatchObject({ tenant: 'alpha', payload: { outcome: 'denied', details: expect.objectContaining({ address: expect.any(String) }) } });
    // beta's network server cannot post alpha's devices, nor gamma's (no secret configured at all)
    expect((await webhook('chirpstack?event=up', body, 'beta-webhook-secret-987654321', 'beta')).status).toBe(404);
    expect((await webhook('chirpstack?event=up', body, SECRET, 'gamma')).status).toBe(401);

    const notJson = await webhook('chirpstack?event=up', '{"deviceInfo": ');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'invalid-webhook' });

    const invalid = await webhook('chirpstack?event=up', { ...body, rxInfo: [], fCnt: -1 });
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path).sort()).toEqual(['fCnt', 'rxInfo']);

    expect((await webhook('chirpstack', body)).status).toBe(400);
    const unknown = await webhook('chirpstack?event=up', chirpstackUp(newEui(), 1, Buffer.from('x'), [{ gatewayId: 'g', rssi: -1, snr: 1 }]));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'unknown-dev-eui' });

    const ignored = await webhook('chirpstack?event=txack', { deviceInfo: { devEui: device.devEui } });
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toEqual({ status: 'ignored' });
    expect(uplinks.matching((event) => event.payload.deviceId === device.deviceId)).toEqual([]);
  });
});
