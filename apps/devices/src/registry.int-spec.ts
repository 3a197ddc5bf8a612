// Profiles, devices, lifecycle and credentials through the HTTP API with real tokens, against a
// real database and broker: what a caller sees (status, problem bodies) and what connectivity
// and data see on Kafka.
import { verifyDeviceToken } from '@urbis/device-credentials';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, startDevicesHarness } from './test-support/harness.test-helpers';

jest.setTimeout(120_000);

describe('device registry over HTTP', () => {
  let h: DevicesHarness;
  const weather = OBSERVATION_FIXTURES.find((f) => f.entityType === 'WeatherObserved');

  beforeAll(async () => {
    h = await startDevicesHarness({ CREDENTIAL_ROTATION_OVERLAP_SECONDS: '600' });
  });
  afterAll(() => h?.stop());

  const createProfile = async (name: string) => {
    const response = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
      ...weather?.profile,
      name,
    });
    expect(response.status).toBe(201);
    return response.body['id'] as string;
  };

  describe('profiles', () => {
    it('creates, reads, lists and replaces a profile; names are unique per tenant', async () => {
      const id = await createProfile('weather-a');
      const read = await h.call('auditor', 'GET', `/devices/v1/profiles/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id,
        name: 'weather-a',
        entityType: 'WeatherObserved',
        codec: { type: 'cayenne-lpp' },
        expectedIntervalSeconds: 900,
        version: 1,
      });
      const again = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
        ...weather?.profile,
        name: 'weather-a',
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'profile-name-taken', status: 409 });

      const replaced = await h.call('tenantAdmin', 'PUT', `/devices/v1/profiles/${id}`, {
        ...weather?.profile,
        name: 'weather-a',
        expectedIntervalSeconds: 300,
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ version: 2, expectedIntervalSeconds: 300 });
      const list = await h.call('operator', 'GET', '/devices/v1/profiles?limit=10');
      expect(list.body['items']).toEqual(expect.arrayContaining([expect.objectContaining({ id })]));
      // Another tenant does not see it.
      expect((await h.call('betaOperator', 'GET', `/devices/v1/profiles/${id}`)).status).toBe(404);
    });

    it('refuses a bad JSONata expression and a mapping to nothing with a 400 that says what is wrong', async () => {
      const bad = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
        name: 'bad-jsonata',
        entityType: 'ParkingSpot',
        codec: { type: 'jsonata', expression: '{ "status": payload.occupied ? "occupied" ' },
        attributes: [{ name: 'status', source: 'status' }],
      });
      expect(bad.status).toBe(400);
      expect(bad.contentType).toContain('application/problem+json');
      expect(bad.body).toMatchObject({
        code: 'profile-invalid',
        errors: [
          { path: 'codec.expression', message: expect.stringMatching(/^JSONata S0\d+ at position \d+/) },
        ],
      });

      const nothing = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
        name: 'bad-cayenne',
        entityType: 'WeatherObserved',
        codec: { type: 'cayenne-lpp' },
        attributes: [{ name: 'temperature', source: 'temp_1', unitCode: 'CEL' }],
      });
      expect(nothing.status).toBe(400);
      expect(nothing.body['errors']).toEqual([
        { path: 'attributes.0.source', message: expect.stringContaining('maps to nothing') },
      ]);

      const shape = await h.call('tenantAdmin', 'POST', '/devices/v1/profiles', {
        name: 'Bad Name',
        entityType: 'WeatherObserved',
        codec: { type: 'protobuf' },
        attributes: [],
      });
      expect(shape.status).toBe(400);
      expect((shape.body['errors'] as { path: string }[]).map((e) => e.path).sort()).toEqual(
        ['attributes', 'codec.type', 'name'].sort(),
      );
    });

    it('only tenant and platform admins write profiles', async () => {
      const response = await h.call('operator', 'POST', '/devices/v1/profiles', {
        ...weather?.profile,
        name: 'x',
      });
      expect(response.status).toBe(403);
      expect((await fetch(`${h.url}/devices/v1/profiles`)).status).toBe(401);
    });
  });

  describe('devices and their lifecycle', () => {
    it('provisions a device and publishes lifecycle and registry snapshots through the outbox', async () => {
      const profileId = await createProfile('weather-b');
      const created = await h.call('operator', 'POST', '/devices/v1/devices', {
        id: 'ws-001',
        externalId: 'SN-0001',
        profileId,
        tags: ['district:centro', 'weather'],
        location: { type: 'Point', coordinates: [-4.7544, 41.6408] },
        lorawan: { devEui: '70b3d57ed0001a2b' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: 'ws-001',
        state: 'provisioned',
        lorawan: { devEui: '70B3D57ED0001A2B' },
        decodeErrors: { count: 0 },
      });

      const [lifecycle] = await h.reader.waitFor(
        (m) => m.topic === 'devices.lifecycle.changed.v1' && m.key === 'alpha/ws-001',
      );
      expect(lifecycle.value).toMatchObject({
        tenant: 'alpha',
        source: 'devices',
        payload: { deviceId: 'ws-001', externalId: 'SN-0001', profileId, from: null, to: 'provisioned' },
      });
      const [snapshot] = await h.reader.waitFor(
        (m) => m.topic === 'devices.device.changed.v1' && m.key === 'alpha/ws-001',
      );
      expect(snapshot.value['payload']).toMatchObject({
        deviceId: 'ws-001',
        profileId,
        state: 'provisioned',
        tags: ['district:centro', 'weather'],
        lorawan: { devEui: '70B3D57ED0001A2B' },
        expectedIntervalSeconds: 900,
        deleted: false,
      });

      // The device also appears as an NGSI-LD Device entity for the context broker.
      const [entity] = await h.reader.waitFor(
        (m) =>
          m.topic === 'devices.observation.decoded.v1' && m.key === 'alpha/urn:ngsi-ld:Device:alpha:ws-001',
      );
      const attributes = (entity.value['payload'] as { attributes: { name: string; value: unknown }[] })
        .attributes;
      expect(Object.fromEntries(attributes.map((a) => [a.name, a.value]))).toEqual({
        deviceState: 'provisioned',
        controlledProperty: ['temperature', 'relativeHumidity', 'atmosphericPressure', 'illuminance'],
        refDeviceModel: `urn:ngsi-ld:DeviceModel:alpha:${profileId}`,
        serialNumber: 'SN-0001',
        location: { type: 'Point', coordinates: [-4.7544, 41.6408] },
      });

      // Conflicts are precise.
      const dup = await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-001', profileId });
      expect(dup.body).toMatchObject({ status: 409, code: 'device-exists' });
      const ext = await h.call('operator', 'POST', '/devices/v1/devices', {
        externalId: 'SN-0001',
        profileId,
      });
      expect(ext.body).toMatchObject({ status: 409, code: 'external-id-taken', deviceId: 'ws-001' });
      const eui = await h.call('operator', 'POST', '/devices/v1/devices', {
        lorawan: { devEui: '70B3D57ED0001A2B' },
        profileId,
      });
      expect(eui.body).toMatchObject({ status: 409, code: 'dev-eui-taken' });
      const unknown = await h.call('operator', 'POST', '/devices/v1/devices', {
        profileId: '00000000-0000-4000-8000-000000000000',
      });
      expect(unknown.body).toMatchObject({ status: 400, code: 'unknown-profile' });

      // A profile change republishes the snapshot of its devices.
      await h.call('tenantAdmin', 'PUT', `/devices/v1/profiles/${profileId}`, {
        ...weather?.profile,
        name: 'weather-b',
        expectedIntervalSeconds: 120,
        limits: { messagesPerMinute: 6 },
      });
      const snapshots = await h.reader.waitFor(
        (m) => m.topic === 'devices.device.changed.v1' && m.key === 'alpha/ws-001',
        2,
      );
      expect(snapshots[1].value['payload']).toMatchObject({
        expectedIntervalSeconds: 120,
        limits: { messagesPerMinute: 6 },
      });
    });

    it('moves through provisioned → active → suspended → active → decommissioned; illegal moves are 409', async () => {
      const profileId = await createProfile('weather-c');
      await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-002', profileId });
      const illegal = await h.call('operator', 'POST', '/devices/v1/devices/ws-002/lifecycle', {
        to: 'suspended',
      });
      expect(illegal.status).toBe(409);
      expect(illegal.body).toMatchObject({
        code: 'illegal-transition',
        state: 'provisioned',
        allowed: ['active', 'decommissioned'],
      });
      for (const to of ['active', 'suspended', 'active', 'decommissioned']) {
        const moved = await h.call('operator', 'POST', '/devices/v1/devices/ws-002/lifecycle', {
          to,
          reason: `to ${to}`,
        });
        expect(moved.status).toBe(200);
        expect(moved.body['state']).toBe(to);
      }
      const final = await h.call('operator', 'POST', '/devices/v1/devices/ws-002/lifecycle', {
        to: 'active',
      });
      expect(final.body).toMatchObject({ status: 409, code: 'illegal-transition', allowed: [] });
      const patch = await h.call('operator', 'PATCH', '/devices/v1/devices/ws-002', { name: 'x' });
      expect(patch.body).toMatchObject({ status: 409, code: 'device-decommissioned' });
      const bad = await h.call('operator', 'POST', '/devices/v1/devices/ws-002/lifecycle', {
        to: 'provisioned',
      });
      expect(bad.status).toBe(400);

      const changes = await h.reader.waitFor(
        (m) => m.topic === 'devices.lifecycle.changed.v1' && m.key === 'alpha/ws-002',
        5,
      );
      expect(
        changes.map((m) => [
          (m.value['payload'] as { from: string }).from,
          (m.value['payload'] as { to: string }).to,
        ]),
      ).toEqual([
        [null, 'provisioned'],
        ['provisioned', 'active'],
        ['active', 'suspended'],
        ['suspended', 'active'],
        ['active', 'decommissioned'],
      ]);
      expect((changes[2].value['payload'] as { reason: string }).reason).toBe('to suspended');
      const states = await h.reader.waitFor(
        (m) =>
          m.topic === 'devices.observation.decoded.v1' && m.key === 'alpha/urn:ngsi-ld:Device:alpha:ws-002',
        5,
      );
      expect(
        states.map(
          (m) =>
            (m.value['payload'] as { attributes: { name: string; value: unknown }[] }).attributes.find(
              (a) => a.name === 'deviceState',
            )?.value,
        ),
      ).toEqual(['provisioned', 'active', 'suspended', 'active', 'decommissioned']);
    });

    it('updates, lists by tag and deletes devices; deletion is published as deleted', async () => {
      const profileId = await createProfile('weather-d');
      await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-003', profileId, tags: ['a'] });
      const patched = await h.call('operator', 'PATCH', '/devices/v1/devices/ws-003', {
        tags: ['b'],
        name: 'Plaza',
      });
      expect(patched.body).toMatchObject({ tags: ['b'], name: 'Plaza', version: 2 });
      const byTag = await h.call('auditor', 'GET', '/devices/v1/devices?tag=b');
      expect((byTag.body['items'] as { id: string }[]).map((d) => d.id)).toContain('ws-003');
      expect((await h.call('operator', 'PATCH', '/devices/v1/devices/ws-003', {})).status).toBe(400);
      expect((await h.call('operator', 'DELETE', '/devices/v1/devices/ws-003')).status).toBe(403);
      expect((await h.call('tenantAdmin', 'DELETE', '/devices/v1/devices/ws-003')).status).toBe(204);
      expect((await h.call('operator', 'GET', '/devices/v1/devices/ws-003')).body).toMatchObject({
        status: 404,
        code: 'device-not-found',
      });
      const [deleted] = await h.reader.waitFor(
        (m) =>
          m.topic === 'devices.device.changed.v1' &&
          m.key === 'alpha/ws-003' &&
          (m.value['payload'] as { deleted: boolean }).deleted,
      );
      expect(deleted.value['payload']).toMatchObject({ deviceId: 'ws-003', deleted: true });
      // A profile still in use cannot go; an unused one can.
      await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-004', profileId });
      const inUse = await h.call('tenantAdmin', 'DELETE', `/devices/v1/profiles/${profileId}`);
      expect(inUse.body).toMatchObject({ status: 409, code: 'profile-in-use', devices: 1 });
      expect((await h.call('tenantAdmin', 'DELETE', '/devices/v1/devices/ws-004')).status).toBe(204);
      expect((await h.call('tenantAdmin', 'DELETE', `/devices/v1/profiles/${profileId}`)).status).toBe(204);
    });
  });

  describe('credentials', () => {
    it('issues a token once, rotates with an overlap, revokes at once; only hashes go to Kafka', async () => {
      const profileId = await createProfile('weather-e');
      await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-010', profileId });

      const first = await h.call('operator', 'POST', '/devices/v1/devices/ws-010/credentials');
      expect(first.status).toBe(201);
      const firstToken = first.body['token'] as string;
      const firstId = (first.body['credential'] as { id: string }).id;
      expect(firstToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.body['rotated']).toEqual([]);

      const second = await h.call('operator', 'POST', '/devices/v1/devices/ws-010/credentials', {
        overlapSeconds: 120,
      });
      expect(second.status).toBe(201);
      const secondToken = second.body['token'] as string;
      const rotated = second.body['rotated'] as { id: string; status: string; validUntil: string }[];
      expect(rotated).toEqual([expect.objectContaining({ id: firstId, status: 'expiring' })]);
      const overlap = Date.parse(rotated[0].validUntil) - Date.now();
      expect(overlap).toBeGreaterThan(100_000);
      expect(overlap).toBeLessThanOrEqual(120_000);

      const events = await h.reader.waitFor(
        (m) => m.topic === 'devices.credentials.changed.v1' && m.key === 'alpha/ws-010',
        3,
      );
      const payloads = events.map((m) => m.value['payload'] as Record<string, string | null>);
      expect(payloads.map((p) => [p['credentialId'] === firstId ? 'first' : 'second', p['change']])).toEqual([
        ['first', 'issued'],
        ['first', 'rotated'],
        ['second', 'issued'],
      ]);
      // The hash verifies the token that was handed out; the token itself is nowhere on the wire or in the database.
      expect(await verifyDeviceToken(firstToken, payloads[0]['tokenHash'] as string)).toBe(true);
      expect(await verifyDeviceToken(secondToken, payloads[2]['tokenHash'] as string)).toBe(true);
      expect(payloads[1]['validUntil']).toBe(rotated[0].validUntil);
      expect(JSON.stringify(h.reader.messages)).not.toContain(firstToken);
      const stored = await h.sql<{ token_hash: string }>(
        'SELECT token_hash FROM device_credential WHERE device_id = $1',
        ['ws-010'],
      );
      expect(
        stored.every((row) => row.token_hash.startsWith('scrypt$') && !row.token_hash.includes(secondToken)),
      ).toBe(true);

      const secondId = (second.body['credential'] as { id: string }).id;
      const revoked = await h.call(
        'operator',
        'DELETE',
        `/devices/v1/devices/ws-010/credentials/${secondId}`,
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: secondId, status: 'revoked' });
      const [revocation] = await h.reader.waitFor(
        (m) =>
          m.topic === 'devices.credentials.changed.v1' &&
          (m.value['payload'] as { change: string; credentialId: string }).change === 'revoked' &&
          (m.value['payload'] as { credentialId: string }).credentialId === secondId,
      );
      expect(
        Date.parse((revocation.value['payload'] as { validUntil: string }).validUntil),
      ).toBeLessThanOrEqual(Date.now());
      const again = await h.call('operator', 'DELETE', `/devices/v1/devices/ws-010/credentials/${secondId}`);
      expect(again.body).toMatchObject({ status: 409, code: 'credential-revoked' });

      const list = await h.call('auditor', 'GET', '/devices/v1/devices/ws-010/credentials');
      expect((list.body['items'] as { status: string }[]).map((c) => c.status)).toEqual([
        'expiring',
        'revoked',
      ]);
      expect(JSON.stringify(list.body)).not.toContain('scrypt');
    });

    it('decommissioning revokes every credential; a decommissioned device gets none', async () => {
      const profileId = await createProfile('weather-f');
      await h.call('operator', 'POST', '/devices/v1/devices', { id: 'ws-011', profileId });
      const issued = await h.call('operator', 'POST', '/devices/v1/devices/ws-011/credentials');
      const id = (issued.body['credential'] as { id: string }).id;
      await h.call('operator', 'POST', '/devices/v1/devices/ws-011/lifecycle', { to: 'decommissioned' });
      await h.reader.waitFor(
        (m) =>
          m.topic === 'devices.credentials.changed.v1' &&
          (m.value['payload'] as { credentialId: string; change: string }).credentialId === id &&
          (m.value['payload'] as { change: string }).change === 'revoked',
      );
      const refused = await h.call('operator', 'POST', '/devices/v1/devices/ws-011/credentials');
      expect(refused.body).toMatchObject({ status: 409, code: 'device-decommissioned' });
      expect((await h.call('operator', 'POST', '/devices/v1/devices/nope/credentials')).status).toBe(404);
      expect((await h.call('auditor', 'POST', '/devices/v1/devices/ws-011/credentials')).status).toBe(403);
    });
  });

  it('documents every route in OpenAPI', async () => {
    const docs = (await (await fetch(`${h.url}/docs-json`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/devices/v1/profiles',
        '/devices/v1/profiles/{profileId}',
        '/devices/v1/devices',
        '/devices/v1/devices/{deviceId}',
        '/devices/v1/devices/{deviceId}/lifecycle',
        '/devices/v1/devices/{deviceId}/credentials',
        '/devices/v1/devices/{deviceId}/credentials/{credentialId}',
      ]),
    );
  });
});
