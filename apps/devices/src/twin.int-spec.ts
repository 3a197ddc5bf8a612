// The device twin through HTTP with real tokens: desired changes become commands on Kafka,
// reports arrive over HTTP and as MQTT uplinks on `.../twin/reported`, the delta follows.
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import { type DevicesHarness, startDevicesHarness, uplinkEvent } from './test-support/harness.test-helpers';

jest.setTimeout(120_000);

describe('device twin', () => {
  let h: DevicesHarness;

  beforeAll(async () => {
    h = await startDevicesHarness();
    const profile = await h.call(
      'tenantAdmin',
      'POST',
      '/devices/v1/profiles',
      OBSERVATION_FIXTURES[5].profile,
    );
    for (const id of ['lamp-1', 'lamp-2']) {
      await h.call('operator', 'POST', '/devices/v1/devices', { id, profileId: profile.body['id'] });
    }
    await h.call('operator', 'POST', '/devices/v1/devices/lamp-1/lifecycle', { to: 'active' });
  });
  afterAll(() => h?.stop());

  it('starts empty', async () => {
    const twin = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/twin');
    expect(twin.status).toBe(200);
    expect(twin.body).toEqual({
      deviceId: 'lamp-1',
      desired: { state: {}, version: 0 },
      reported: { state: {}, version: 0 },
      delta: {},
    });
    expect((await h.call('auditor', 'GET', '/devices/v1/devices/nope/twin')).status).toBe(404);
  });

  it('a desired change becomes a twin.desired command; reports close the delta', async () => {
    const set = await h.call('operator', 'PATCH', '/devices/v1/devices/lamp-1/twin/desired', {
      state: { dimLevel: 40, schedule: { on: '19:00', off: '07:00' } },
      version: 0,
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      desired: { state: { dimLevel: 40, schedule: { on: '19:00', off: '07:00' } }, version: 1 },
      delta: { dimLevel: 40, schedule: { on: '19:00', off: '07:00' } },
      commandId: expect.any(String),
    });
    const [command] = await h.reader.waitFor(
      (m) =>
        m.topic === 'devices.command.requested.v1' &&
        (m.value['payload'] as { commandId: string }).commandId === set.body['commandId'],
    );
    expect(command.value['payload']).toMatchObject({
      deviceId: 'lamp-1',
      name: 'twin.desired',
      params: { version: 1, state: { dimLevel: 40, schedule: { on: '19:00', off: '07:00' } } },
    });

    // A stale version is refused; a null removes a key.
    const stale = await h.call('operator', 'PATCH', '/devices/v1/devices/lamp-1/twin/desired', {
      state: { dimLevel: 50 },
      version: 0,
    });
    expect(stale.body).toMatchObject({ status: 409, code: 'version-conflict', version: 1 });

    // The device reports over MQTT (an uplink on its twin topic), then a gateway over HTTP.
    await h.publish('connectivity.uplink.received.v1', [
      uplinkEvent(
        'alpha',
        'lamp-1',
        Buffer.from(JSON.stringify({ state: { dimLevel: 40, firmware: '1.2.0' } })),
        {
          mqttTopic: 'urbis/alpha/devices/lamp-1/twin/reported',
          contentType: 'application/json',
        },
      ),
    ]);
    const deadline = Date.now() + 15_000;
    let twin = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/twin');
    while ((twin.body['reported'] as { version: number }).version === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      twin = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/twin');
    }
    expect(twin.body).toMatchObject({
      reported: { state: { dimLevel: 40, firmware: '1.2.0' }, version: 1 },
      delta: { schedule: { on: '19:00', off: '07:00' } },
    });
    // No observation came of it: a twin report is not a reading.
    expect(
      h.reader.messages.filter(
        (m) =>
          m.topic === 'devices.observation.decoded.v1' &&
          (m.value['payload'] as { entity: { type: string } }).entity.type !== 'Device',
      ),
    ).toHaveLength(0);

    const reported = await h.call('integrator', 'PATCH', '/devices/v1/devices/lamp-1/twin/reported', {
      state: { schedule: { off: '07:00', on: '19:00' } },
    });
    expect(reported.body).toMatchObject({ reported: { version: 2 }, delta: {} });
  });

  it('stores desired state of an inactive device without a command; refuses bad state', async () => {
    const set = await h.call('operator', 'PATCH', '/devices/v1/devices/lamp-2/twin/desired', {
      state: { dimLevel: 10 },
    });
    expect(set.status).toBe(200);
    expect(set.body['commandId']).toBeUndefined();
    expect(set.body).toMatchObject({ desired: { version: 1 } });
    const bad = await h.call('operator', 'PATCH', '/devices/v1/devices/lamp-2/twin/desired', {
      state: { '1x': 1 },
    });
    expect(bad.status).toBe(400);
    expect(
      (await h.call('auditor', 'PATCH', '/devices/v1/devices/lamp-2/twin/desired', { state: {} })).status,
    ).toBe(403);
  });

  it('a twin report that is not a state object goes to the DLQ with the reason', async () => {
    const bad = uplinkEvent('alpha', 'lamp-1', Buffer.from('[1,2,3]'), {
      mqttTopic: 'urbis/alpha/devices/lamp-1/twin/reported',
    });
    await h.publish('connectivity.uplink.received.v1', [bad]);
    const [dead] = await h.reader.waitFor(
      (m) => m.topic === 'connectivity.uplink.received.v1.dlq' && (m.value as { id: string }).id === bad.id,
    );
    expect(dead.headers['dlq-reason']).toContain('twin report is not a JSON object of state keys');
  });
});
