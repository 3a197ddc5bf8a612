import { EventReader, metricValue } from '@urbis/testing';
import {
  type ConnectivitySuite,
  type DevicesServiceDouble,
  startConnectivitySuite,
  type TestDevice,
  type TestService,
} from '../test-support/harness.test-helpers';

describe('HTTP ingest', () => {
  let suite: ConnectivitySuite;
  let service: TestService;
  let devices: DevicesServiceDouble;
  let uplinks: EventReader<'connectivity.uplink.received.v1'>;

  beforeAll(async () => {
    suite = await startConnectivitySuite('connectivity_ingest', { LIMIT_MAX_PAYLOAD_BYTES: '2048' });
    ({ service, devices } = suite);
    uplinks = await suite.reader('connectivity.uplink.received.v1');
  });

  afterAll(() => suite?.stop());

  const post = (device: Pick<TestDevice, 'tenant' | 'deviceId'>, init: RequestInit & { token?: string }) =>
    fetch(`${service.url}/ingest/v1/${device.tenant}/devices/${device.deviceId}`, {
      method: 'POST',
      ...init,
      headers: { ...(init.token && { authorization: `Bearer ${init.token}` }), ...init.headers },
    });

  it('answers 202 once Kafka has the uplink, keeping JSON bytes exactly as sent', async () => {
    const device = await devices.register('alpha');
    const body = '{ "pm25" : 12.50,\n "no2": 31 }';
    const response = await post(device, { token: device.token, body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { eventId: string; receivedAt: string };
    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 1, 2_000);
    expect(read?.event.id).toBe(accepted.eventId);
    expect(read?.event.payload).toMatchObject({
      transport: 'http',
      contentType: 'application/json',
      receivedAt: accepted.receivedAt,
    });
    expect(Buffer.from(read?.event.payload.payload ?? '', 'base64').toString()).toBe(body);
  });

  it('accepts binary bodies', async () => {
    const device = await devices.register('alpha');
    const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff]);
    const response = await post(device, { token: device.token, body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(202);
    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId);
    expect(read?.event.payload.payload).toBe(bytes.toString('base64'));
  });

  it('refuses precisely, with problem details, and counts each refusal', async () => {
    const device = await devices.register('alpha');
    const problem = async (response: Response) => {
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      return (await response.json()) as { status: number; code: string; type: string };
    };

    const noToken = await post(device, { body: 'x' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer realm="urbis-devices"');
    expect(await problem(noToken)).toMatchObject({ code: 'missing-device-token' });

    const before = await metricValue(service.url, 'connectivity_rejections_total', { transport: 'http', reason: 'bad-token' });
    const wrong = await post(device, { token: 'wrong', body: 'x' });
    expect(wrong.status).toBe(401);
    expect(await problem(wrong)).toMatchObject({ code: 'device-unauthenticated' });
    expect(await metricValue(service.url, 'connectivity_rejections_total', { transport: 'http', reason: 'bad-token' })).toBe(before + 1);

    expect((await post({ tenant: 'alpha', deviceId: 'nobody' }, { token: device.token, body: 'x' })).status).toBe(401);
    expect((await post({ tenant: 'Not_A_Tenant', deviceId: 'x' }, { token: device.token, body: 'x' })).status).toBe(400);
    const empty = await post(device, { token: device.token });
    expect(await problem(empty)).toMatchObject({ status: 400, code: 'empty-payload' });

    const tooLarge = await post(device, { token: device.token, body: Buffer.alloc(4096), headers: { 'content-type': 'application/octet-stream' } });
    expect(tooLarge.status).toBe(413);
    expect(await problem(tooLarge)).toMatchObject({ code: 'payload-too-large', maxPayloadBytes: 2048 });

    const suspended = await devices.register('alpha');
    await devices.changeDevice('alpha', suspended.deviceId, { state: 'suspended' });
    const forbidden = await post(suspended, { token: suspended.token, body: 'x' });
    expect(forbidden.status).toBe(403);
    expect(await problem(forbidden)).toMatchObject({ code: 'device-not-active' });

    expect(uplinks.matching((event) => [device.deviceId, suspended.deviceId].includes(event.payload.deviceId))).toEqual([]);
  });

  it('stops checking a device token after repeated failures: 429 with Retry-After', async () => {
    const device = await devices.register('alpha');
    for (let i = 0; i < 5; i++) expect((await post(device, { token: `guess-${i}`, body: 'x' })).status).toBe(401);
    const throttled = await post(device, { token: device.token, body: 'x' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
  });

  it('honours a per-device payload limit from the registry', async () => {
    const device = await devices.register('alpha', { limits: { maxPayloadBytes: 8 } });
    expect((await post(device, { token: device.token, body: '12345678' })).status).toBe(202);
    expect((await post(device, { token: device.token, body: '123456789' })).status).toBe(413);
  });
});
