// Bulk provisioning through HTTP with real tokens: 10,000 devices from CSV with a few bad rows,
// idempotent re-runs, JSON bodies, and requests that are refused as a whole.
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, startDevicesHarness } from './test-support/harness.test-helpers';

jest.setTimeout(300_000);

interface BulkBody {
  summary: { rows: number; created: number; unchanged: number; failed: number };
  results: { row: number; status: string; externalId?: string; deviceId?: string; reason?: string }[];
}

describe('bulk provisioning', () => {
  let h: DevicesHarness;
  let profileId: string;

  beforeAll(async () => {
    h = await startDevicesHarness();
    const profile = await h.call(
      'tenantAdmin',
      'POST',
      '/devices/v1/profiles',
      OBSERVATION_FIXTURES[0].profile,
    );
    profileId = profile.body['id'] as string;
  });
  afterAll(() => h?.stop());

  it('provisions 10,000 devices from CSV; the few bad rows fail alone, with their reasons', async () => {
    const lines = ['externalId,name,profile,tags,latitude,longitude,devEui'];
    for (let i = 0; i < 10_000; i++) {
      const n = String(i).padStart(5, '0');
      lines.push(`AQ-${n},Sensor ${n},air-quality-station,city;aq,40.4${n},-3.7${n},70B3D57ED00${n}`);
    }
    lines[101] = 'AQ-00100,Broken,air-quality-station'; // too few columns
    lines[201] = lines[200]; // duplicate external id
    lines[301] = 'AQ-00300,Lost,no-such-profile,city,40.1,-3.1,'; // unknown profile
    lines[401] = 'AQ-00400,Nowhere,air-quality-station,city,91,-3.1,'; // latitude out of range
    lines[501] = 'AQ-00500,Bad EUI,air-quality-station,city,40.1,-3.1,XYZ'; // not a DevEUI
    const started = Date.now();
    const response = await h.call('operator', 'POST', '/devices/v1/devices:bulk', lines.join('\n') + '\n');
    const elapsedMs = Date.now() - started;
    expect(response.status).toBe(200);
    const body = response.body as unknown as BulkBody;
    expect(body.summary).toEqual({ rows: 10_000, created: 9995, unchanged: 0, failed: 5 });
    const failed = body.results.filter((r) => r.status === 'error');
    expect(failed.map((r) => r.row)).toEqual([101, 201, 301, 401, 501]);
    expect(failed[0].reason).toMatch(/line 102: .*columns/i);
    expect(failed[1]).toMatchObject({
      externalId: 'AQ-00199',
      reason: 'externalId AQ-00199 repeats row 200',
    });
    expect(failed[2].reason).toBe('profile no-such-profile does not exist in this tenant');
    expect(failed[3].reason).toMatch(/^location\.coordinates\.1: /);
    expect(failed[4].reason).toMatch(/^lorawan\.devEui: devEui: 16 hexadecimal digits/);
    expect(body.results[0]).toMatchObject({ row: 1, status: 'created', externalId: 'AQ-00000' });
    // Nothing partial: no device for a bad row; two outbox events per created device.
    const [{ devices, events }] = await h.sql<{ devices: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM device WHERE tenant = 'alpha' AND external_id LIKE 'AQ-%') AS devices,
              (SELECT count(*)::int FROM outbox_event WHERE message_key LIKE 'alpha/%') AS events`,
    );
    expect(devices).toBe(9995);
    expect(events).toBeGreaterThanOrEqual(2 * 9995);
    console.info(`bulk-provisioned 9995 devices (10,000 CSV rows) in ${elapsedMs} ms`);

    // The same file again: every good row is unchanged, nothing new is written.
    const again = (await h.call('operator', 'POST', '/devices/v1/devices:bulk', lines.join('\n')))
      .body as unknown as BulkBody;
    expect(again.summary).toEqual({ rows: 10_000, created: 0, unchanged: 9995, failed: 5 });
  });

  it('takes JSON; the same external id with a different record is an error, not an update', async () => {
    const response = await h.call('operator', 'POST', '/devices/v1/devices:bulk', {
      devices: [
        { externalId: 'J-1', profileId, tags: ['x'] },
        { externalId: 'AQ-00001', profileId, name: 'Renamed' },
        { externalId: 'J-2', profileId, id: 'bad id with spaces' },
        'not an object',
        { externalId: 'J-3', profileId, profile: 'air-quality-station' },
      ],
    });
    expect(response.status).toBe(200);
    const body = response.body as unknown as BulkBody;
    expect(body.results.map((r) => r.status)).toEqual(['created', 'error', 'error', 'error', 'error']);
    expect(body.results[1].reason).toMatch(/belongs to device .*, whose record differs/);
    expect(body.results[2].reason).toMatch(/^id: device id/);
    expect(body.results[3].reason).toBe('a device is a JSON object');
    expect(body.results[4].reason).toMatch(/exactly one of profileId and profile/);
    // Behind the ~20,000 events of the first test in the outbox (relayed in order): a long wait on a busy machine.
    await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.lifecycle.changed.v1' &&
        (m.value['payload'] as { externalId?: string }).externalId === 'J-1',
      1,
      90_000,
    );
  });

  it('refuses a whole request only when it cannot be read or is too large', async () => {
    const tooMany = await h.call('operator', 'POST', '/devices/v1/devices:bulk', {
      devices: Array.from({ length: 10_001 }, (_, i) => ({ externalId: `T-${i}`, profileId })),
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ code: 'bulk-too-large', maxRows: 10_000 });
    const unclosed = await h.call(
      'operator',
      'POST',
      '/devices/v1/devices:bulk',
      'externalId,profile\n"X-1,air-quality-station\n',
    );
    expect(unclosed.status).toBe(400);
    expect(unclosed.body['detail']).toMatch(/Quote Not Closed/i);
    const columns = await h.call('operator', 'POST', '/devices/v1/devices:bulk', 'serial,profile\nX-1,a\n');
    expect(columns.body).toMatchObject({
      status: 400,
      detail: expect.stringContaining('unknown column(s) serial'),
    });
    expect((await h.call('auditor', 'POST', '/devices/v1/devices:bulk', { devices: [] })).status).toBe(403);
    // Other routes keep the 1 MiB body limit and do not take CSV.
    const big = await h.call('operator', 'POST', '/devices/v1/devices', {
      profileId,
      name: 'x'.repeat(2_000_000),
    });
    expect(big.status).toBe(413);
    expect((await h.call('operator', 'POST', '/devices/v1/devices', 'externalId\nX\n')).status).toBe(415);
  });
});
