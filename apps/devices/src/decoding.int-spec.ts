// Uplinks in, observations out, for every codec, on the real broker and database: the fixtures
// modelled on the Smart Data Models, and what happens to payloads that cannot be decoded.
import { createEvent } from '@urbis/contracts';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, startDevicesHarness, uplinkEvent } from './test-support/harness.test-helpers';

jest.setTimeout(120_000);

describe('decoding uplinks into observations', () => {
  let h: DevicesHarness;

  beforeAll(async () => {
    h = await startDevicesHarness({ JSONATA_TIMEOUT_MS: '50', DECODE_MAX_PAYLOAD_BYTES: '4096' });
    for (const fixture of OBSERVATION_FIXTURES) {
      const profile = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', fixture.profile);
      expect(profile.status).toBe(201);
      const device = await h.call('operator', 'POST', '/devices/v1/devices', {
        id: `sdm-${fixture.entityType}`,
        profileId: profile.body['id'],
      });
      expect(device.status).toBe(201);
      await h.call('operator', 'POST', `/devices/v1/devices/sdm-${fixture.entityType}/lifecycle`, {
        to: 'active',
      });
    }
  });
  afterAll(() => h?.stop());

  it('is ready with its uplink consumer running', async () => {
    const ready = await fetch(`${h.url}/health/ready`);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    expect(ready.status).toBe(200);
    expect(body.checks.find((check) => check.name === 'uplink-decoder')).toEqual(
      expect.objectContaining({ ok: true }),
    );
  });

  it.each(OBSERVATION_FIXTURES.map((f) => [`${f.entityType} (${f.profile.codec.type})`, f] as const))(
    '%s: an uplink becomes the right devices.observation.decoded.v1',
    async (_name, fixture) => {
      const deviceId = `sdm-${fixture.entityType}`;
      const uplink = uplinkEvent('alpha', deviceId, fixture.payload, {
        receivedAt: '2026-11-22T10:15:00.000Z',
        ...(fixture.contentType && { contentType: fixture.contentType }),
        ...(fixture.fPort !== undefined && {
          transport: 'lorawan' as const,
          lorawan: {
            devEui: '70B3D57ED0000001',
            fCnt: 7,
            fPort: fixture.fPort,
            networkServer: 'chirpstack-v4' as const,
            gateways: [{ gatewayId: 'gw-1', rssi: -97, snr: 7.5 }],
          },
        }),
      });
      await h.publish('connectivity.uplink.received.v1', [uplink]);
      const entityId = `urn:ngsi-ld:${fixture.entityType}:alpha:${deviceId}`;
      const [message] = await h.reader.waitFor(
        (m) => m.topic === 'devices.observation.decoded.v1' && m.key === `alpha/${entityId}`,
      );
      expect(message.value).toMatchObject({
        tenant: 'alpha',
        source: 'devices',
        type: 'devices.observation.decoded.v1',
      });
      expect(message.value['payload']).toEqual({
        deviceId,
        entity: { id: entityId, type: fixture.entityType },
        observedAt: '2026-11-22T10:15:00.000Z',
        attributes: fixture.expected.map((a) => ({ ...a, observedAt: '2026-11-22T10:15:00.000Z' })),
      });
      const [device] = await h.sql<{ last_observed_at: Date }>(
        'SELECT last_observed_at FROM device WHERE tenant = $1 AND id = $2',
        ['alpha', deviceId],
      );
      expect(device.last_observed_at.toISOString()).toBe('2026-11-22T10:15:00.000Z');
    },
  );

  it('a redelivered uplink (same event id) is decoded once', async () => {
    const fixture = OBSERVATION_FIXTURES[0];
    const uplink = uplinkEvent('alpha', `sdm-${fixture.entityType}`, fixture.payload);
    await h.publish('connectivity.uplink.received.v1', [uplink, uplink]);
    const marker = uplinkEvent('alpha', `sdm-${fixture.entityType}`, fixture.payload, {
      receivedAt: '2026-11-22T11:00:00.000Z',
    });
    await h.publish('connectivity.uplink.received.v1', [marker]);
    await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.observation.decoded.v1' &&
        (m.value['payload'] as { observedAt: string }).observedAt === '2026-11-22T11:00:00.000Z',
    );
    const fromFirst = h.reader.messages.filter(
      (m) =>
        m.topic === 'devices.observation.decoded.v1' &&
        (m.value['payload'] as { entity: { type: string } }).entity.type !== 'Device' &&
        (m.value['payload'] as { observedAt: string }).observedAt === uplink.payload.receivedAt,
    );
    expect(fromFirst).toHaveLength(1);
  });

  it('undecodable payloads go to the DLQ with the reason, count on the device, are audited, and never stall the partition', async () => {
    const air = OBSERVATION_FIXTURES.find((f) => f.profile.codec.type === 'json');
    const parking = OBSERVATION_FIXTURES.find((f) => f.entityType === 'ParkingSpot');
    if (!air || !parking) throw new Error('fixtures missing');
    const airDevice = `sdm-${air.entityType}`;
    // A JSONata profile that loops forever, on its own device.
    const looping = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
      ...parking.profile,
      name: 'looping-codec',
      codec: { type: 'jsonata', expression: '($f := function($x) { $f($x + 1) }; { "status": $f(0) })' },
    });
    expect(looping.status).toBe(201);
    await h.call('operator', 'POST', '/devices/v1/devices', { id: 'looper', profileId: looping.body['id'] });

    const notJson = uplinkEvent('alpha', airDevice, Buffer.from('{"gases": '));
    const tooBig = uplinkEvent('alpha', airDevice, Buffer.alloc(5000, 0x20));
    const loops = uplinkEvent('alpha', 'looper', Buffer.from([1, 2, 3]));
    const unknown = uplinkEvent('alpha', 'no-such-device', Buffer.from('{}'));
    const good = uplinkEvent('alpha', airDevice, air.payload, { receivedAt: '2026-11-22T12:00:00.000Z' });
    // Same key (device) → same partition: the good one comes after the bad ones.
    await h.publish('connectivity.uplink.received.v1', [notJson, tooBig, loops, unknown, good]);

    await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.observation.decoded.v1' &&
        (m.value['payload'] as { observedAt: string }).observedAt === '2026-11-22T12:00:00.000Z',
    );
    const dlq = await h.reader.waitFor((m) => m.topic === 'connectivity.uplink.received.v1.dlq', 4);
    const reasons = new Map(dlq.map((m) => [(m.value as { id: string }).id, m.headers['dlq-reason']]));
    expect(reasons.get(notJson.id)).toMatch(/json: payload is not JSON/);
    expect(reasons.get(tooBig.id)).toMatch(/5000 bytes exceeds the 4096-byte limit/);
    expect(reasons.get(loops.id)).toMatch(
      /jsonata: expression exceeded its (50 ms time limit|recursion limit)/,
    );
    expect(reasons.get(unknown.id)).toMatch(/unknown device no-such-device/);

    const device = await h.call('auditor', 'GET', `/devices/v1/devices/${airDevice}`);
    expect(device.body['decodeErrors']).toMatchObject({ count: 2, last: expect.stringContaining('exceeds') });
    const audits = await h.reader.waitFor(
      (m) =>
        m.topic === 'security.audit.recorded.v1' &&
        (m.value['payload'] as { action: string }).action === 'device.uplink.decode',
      4,
    );
    expect(
      audits
        .map((m) => (m.value['payload'] as { details: { uplinkEventId: string } }).details.uplinkEventId)
        .sort(),
    ).toEqual([notJson.id, tooBig.id, loops.id, unknown.id].sort());
  });

  it("keeps the device's own NGSI-LD Device entity current: last report and battery level", async () => {
    const profile = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
      name: 'bin-with-battery',
      entityType: 'WasteContainer',
      codec: { type: 'json' },
      attributes: [
        { name: 'fillingLevel', source: 'fill', scale: 0.01, unitCode: 'P1' },
        { name: 'batteryLevel', source: 'bat', scale: 0.01, unitCode: 'P1' },
      ],
    });
    await h.call('operator', 'POST', '/devices/v1/devices', { id: 'bin-7', profileId: profile.body['id'] });
    await h.publish('connectivity.uplink.received.v1', [
      uplinkEvent('alpha', 'bin-7', Buffer.from('{"fill": 61, "bat": 87}'), {
        receivedAt: '2026-11-22T13:00:00.000Z',
      }),
    ]);
    const [entity] = await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.observation.decoded.v1' &&
        m.key === 'alpha/urn:ngsi-ld:Device:alpha:bin-7' &&
        (m.value['payload'] as { observedAt: string }).observedAt === '2026-11-22T13:00:00.000Z',
    );
    expect(entity.value['payload']).toEqual({
      deviceId: 'bin-7',
      entity: { id: 'urn:ngsi-ld:Device:alpha:bin-7', type: 'Device' },
      observedAt: '2026-11-22T13:00:00.000Z',
      attributes: [
        {
          name: 'dateLastValueReported',
          type: 'Property',
          value: { '@type': 'DateTime', '@value': '2026-11-22T13:00:00.000Z' },
          observedAt: '2026-11-22T13:00:00.000Z',
        },
        {
          name: 'batteryLevel',
          type: 'Property',
          value: 0.87,
          unitCode: 'P1',
          observedAt: '2026-11-22T13:00:00.000Z',
        },
      ],
    });
  });

  it("carries connectivity's online/offline into the Device entity", async () => {
    await h.publish('connectivity.device-status.changed.v1', [
      createEvent('connectivity.device-status.changed.v1', {
        tenant: 'alpha',
        source: 'connectivity',
        payload: {
          deviceId: 'bin-7',
          status: 'offline',
          previousStatus: 'online',
          reason: 'silent',
          changedAt: '2026-11-22T14:00:00.000Z',
        },
      }),
    ]);
    const [entity] = await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.observation.decoded.v1' &&
        m.key === 'alpha/urn:ngsi-ld:Device:alpha:bin-7' &&
        (m.value['payload'] as { observedAt: string }).observedAt === '2026-11-22T14:00:00.000Z',
    );
    expect((entity.value['payload'] as { attributes: unknown[] }).attributes).toEqual([
      {
        name: 'connectionStatus',
        type: 'Property',
        value: 'offline',
        observedAt: '2026-11-22T14:00:00.000Z',
      },
    ]);
  });

  it('a malformed uplink message (schema violation) goes to the DLQ before any handler', async () => {
    await h.publishRaw(
      'connectivity.uplink.received.v1',
      'alpha/x',
      JSON.stringify({ id: 'nope', payload: {} }),
    );
    const [dead] = await h.reader.waitFor(
      (m) => m.topic === 'connectivity.uplink.received.v1.dlq' && m.headers['dlq-kind'] === 'invalid',
    );
    expect(dead.headers['dlq-reason']).toBeTruthy();
  });
});
