import { connectMqtt, eventually, EventReader, metricValue, until } from '@urbis/testing';
import { Client } from 'pg';
import { Socket } from 'node:net';
import { chirpstackStatus, chirpstackUp } from '../lorawan/network-server-fixtures.test-helpers';
import {
  type ConnectivitySuite,
  type DevicesServiceDouble,
  type Infrastructure,
  startConnectivitySuite,
  type TestDevice,
  type TestService,
  USERS,
} from '../test-support/harness.test-helpers';
import { randomBytes } from 'node:crypto';

const SECRET = 'alpha-webhook-secret-0123456789';


/** A hand-written MQTT 3.1.1 CONNECT with keepalive 1 s, then silence: no PINGREQ will ever come. */
function connectThenGoQuiet(port: number, device: TestDevice): Promise<Socket> {
  const string = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  };
  const variable = Buffer.concat([string('MQTT'), Buffer.from([0x04, 0xc2, 0x00, 0x01])]);
  const payload = Buffer.concat([string(device.clientId), string(device.clientId), string(device.token)]);
  const length = variable.length + payload.length;
  const remaining = length < 128 ? Buffer.from([length]) : Buffer.from([(length & 0x7f) | 0x80, length >> 7]);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.once('data', (connack) => (connack[3] === 0 ? resolve(socket) : reject(new Error(`CONNACK ${connack[3]}`))));
    socket.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from([0x10]), remaining, variable, payload])));
  });
}

describe('device status and sessions', () => {
  let suite: ConnectivitySuite;
  let infra: Infrastructure;
  let service: TestService;
  let devices: DevicesServiceDouble;
  let statuses: EventReader<'connectivity.device-status.changed.v1'>;
  let operatorToken: string;

  beforeAll(async () => {
    suite = await startConnectivitySuite(
      'connectivity_status',
      {
        STATUS_FLUSH_INTERVAL_MS: '100',
        SILENCE_CHECK_INTERVAL_MS: '200',
        SILENCE_TOLERANCE: '1',
        LORAWAN_WEBHOOK_SECRETS: `alpha=${SECRET}`,
        LORAWAN_DEDUP_WINDOW_MS: '50',
      },
      { withIdp: true },
    );
    ({ infra, service, devices } = suite);
    statuses = await suite.reader('connectivity.device-status.changed.v1');
    operatorToken = await infra.token(USERS.operator);
  });

  afterAll(() => suite?.stop());

  const get = (path: string, token = operatorToken) =>
    fetch(`${service.url}/connectivity/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });
  const statusOf = async (deviceId: string) =>
    (await (await get(`devices/${deviceId}/status`)).json()) as {
      status: string;
      reason?: string;
      transport?: string;
      lastSeenAt?: string;
      session?: { replica: string };
      linkQuality: { gatewayId?: string; rssi?: number; gateways: { gatewayId: string }[] }[];
    };
  const transitions = (deviceId: string) =>
    statuses.matching((event) => event.payload.deviceId === deviceId).map((read) => `${read.event.payload.status}/${read.event.payload.reason}`);

  it('tracks an MQTT session: online on connect, listed as a session, offline on disconnect, each published', async () => {
    const device = await devices.register('alpha');
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'unknown' });
    const client = await connectMqtt(service.mqttUrl, device);
    await statuses.waitFor((event) => event.payload.deviceId === device.deviceId && event.payload.status === 'online');
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'online', reason: 'connected', transport: 'mqtt', session: { replica: expect.any(String) } });

    const sessions = (await (await get('sessions?limit=500')).json()) as { tenant: string; items: { deviceId: string }[] };
    expect(sessions.tenant).toBe('alpha');
    expect(sessions.items.map((item) => item.deviceId)).toContain(device.deviceId);

    await client.endAsync();
    await statuses.waitFor((event) => event.payload.deviceId === device.deviceId && event.payload.status === 'offline');
    expect(transitions(device.deviceId)).toEqual(['online/connected', 'offline/disconnected']);
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'offline', reason: 'disconnected' });
    expect((await statusOf(device.deviceId)).session).toBeUndefined();
  });

  it('counts the devices online and offline for the online-ratio gauge (connectivity_devices)', async () => {
    const gauge = async () => ({
      online: (await metricValue(service.url, 'connectivity_devices', { status: 'online' })),
      offline: (await metricValue(service.url, 'connectivity_devices', { status: 'offline' })),
    });
    const device = await devices.register('alpha');
    const db = new Client({ connectionString: infra.database.url });
    await db.connect();
    const registered = Number((await db.query('SELECT count(*) FROM device WHERE NOT deleted')).rows[0].count);
    await db.end();
    // Never heard from: offline. Counted at each silence check (every 200 ms here).
    const before = await until(gauge, (counts) => counts.online + counts.offline === registered, {
      what: `the gauge counting all ${registered} registered devices`,
    });
    const client = await connectMqtt(service.mqttUrl, device);
    await eventually(async () => (await gauge()).online === before.online + 1, { what: 'one more device online' });
    expect((await gauge()).offline).toBe(before.offline - 1);
    await client.endAsync();
    await eventually(async () => (await gauge()).online === before.online, { what: 'the device offline again' });
  });

  it('names a keepalive timeout as the reason', async () => {
    const device = await devices.register('alpha');
    const socket = await connectThenGoQuiet(Number(new URL(service.mqttUrl).port), device);
    await statuses.waitFor((event) => event.payload.deviceId === device.deviceId && event.payload.status === 'offline', 1, 10_000);
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'offline', reason: 'keepalive-timeout' });
    socket.destroy();
  });

  it('turns a silent HTTP device offline after its expected interval, and online again on its next reading', async () => {
    const device = await devices.register('alpha', { expectedIntervalSeconds: 1 });
    const post = () =>
      fetch(`${service.url}/ingest/v1/alpha/devices/${device.deviceId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-type': 'text/plain' },
        body: 'reading',
      });
    expect((await post()).status).toBe(202);
    await statuses.waitFor((event) => event.payload.deviceId === device.deviceId && event.payload.status === 'online');
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'online', reason: 'uplink', transport: 'http' });

    const [silent] = await statuses.waitFor(
      (event) => event.payload.deviceId === device.deviceId && event.payload.reason === 'silent',
      1,
      10_000,
    );
    expect(silent?.event.payload).toMatchObject({ status: 'offline', previousStatus: 'online', lastSeenAt: expect.any(String) });
    expect(await statusOf(device.deviceId)).toMatchObject({ status: 'offline', reason: 'silent' });

    expect((await post()).status).toBe(202);
    await statuses.waitFor((event) => event.payload.deviceId === device.deviceId, 3);
    expect(transitions(device.deviceId)).toEqual(['online/uplink', 'offline/silent', 'online/uplink']);
  });

  it('keeps the latest link-quality samples of a LoRaWAN device', async () => {
    const devEui = randomBytes(8).toString('hex');
    const device = await devices.register('alpha', { lorawan: { devEui } });
    for (const fCnt of [1, 2]) {
      const response = await fetch(`${service.url}/lorawan/v1/alpha/chirpstack?event=up`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify(
          chirpstackUp(devEui, fCnt, Buffer.from('x'), [
            { gatewayId: 'gw-weak', rssi: -118, snr: -7 },
            { gatewayId: `gw-strong-${fCnt}`, rssi: -80, snr: 9 },
          ]),
        ),
      });
      expect(response.status).toBe(202);
    }
    const status = await statusOf(device.deviceId);
    expect(status.linkQuality.map((sample) => sample.gatewayId)).toEqual(['gw-strong-2', 'gw-strong-1']);
    expect(status.linkQuality[0]?.rssi).toBe(-80);
    expect(status.linkQuality[0]?.gateways.map((gateway) => gateway.gatewayId).sort()).toEqual(['gw-strong-2', 'gw-weak']);

    // The network server's status event (battery, margin) is kept with the frame counter.
    const reported = await fetch(`${service.url}/lorawan/v1/alpha/chirpstack?event=status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify(chirpstackStatus(devEui)),
    });
    expect(reported.status).toBe(202);
    const lorawan = await get(`devices/${device.deviceId}/lorawan`);
    expect(lorawan.status).toBe(200);
    expect(await lorawan.json()).toEqual({
      deviceId: device.deviceId,
      devEui,
      lastFCnt: 2,
      batteryLevel: 75.5,
      margin: 7,
      externalPower: false,
      statusAt: '2026-11-22T03:05:00.000Z',
    });
    expect((await get('devices/nobody/lorawan')).status).toBe(404);
  });

  it('paginates sessions and keeps tenants apart', async () => {
    const fleet = await Promise.all([0, 1, 2].map(() => devices.register('alpha')));
    const clients = await Promise.all(fleet.map((device) => connectMqtt(service.mqttUrl, device)));
    const ids = new Set(fleet.map((device) => device.deviceId));
    await statuses.waitFor((event) => ids.has(event.payload.deviceId) && event.payload.status === 'online', 3);

    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = (await (await get(`sessions?limit=1${after ? `&after=${after}` : ''}`)).json()) as { items: { deviceId: string }[]; next?: string };
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((item) => item.deviceId));
      after = page.next;
    } while (after);
    expect(seen.filter((id) => ids.has(id)).sort()).toEqual([...ids].sort());
    expect(seen).toEqual([...seen].sort());

    expect((await fetch(`${service.url}/connectivity/v1/sessions`)).status).toBe(401);
    const beta = await infra.token(USERS.betaOperator);
    const foreign = await get('sessions?tenant=alpha', beta);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'foreign-tenant' });
    expect(((await (await get('sessions', beta)).json()) as { items: unknown[] }).items).toEqual([]);
    const admin = await infra.token(USERS.platformAdmin);
    expect((await get('sessions?tenant=beta', admin)).status).toBe(200);
    expect((await get('sessions?limit=0')).status).toBe(400);
    expect((await get(`devices/nobody/status`)).status).toBe(404);
    await Promise.all(clients.map((client) => client.endAsync()));
  });
});
