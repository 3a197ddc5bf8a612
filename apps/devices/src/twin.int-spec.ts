// The device twin through HTTP with real tokens: desired changes become commands on Kafka,
// reports arrive over HTTP and from connectivity (`connectivity.twin.reported.v1`), the delta
// follows. The last test runs the whole loop with connectivity's main.ts and a real MQTT device.
import { createEvent, type PayloadOf } from '@urbis/contracts';
import {
  applyMigrations,
  connectMqtt,
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  until,
} from '@urbis/testing';
import { OBSERVATION_FIXTURES } from './codecs/__fixtures__/smart-data-models';
import {
  type DevicesHarness,
  provisionDevices,
  startDevicesHarness,
} from './test-support/harness.test-helpers';

const twinReport = (deviceId: string, state: PayloadOf<'connectivity.twin.reported.v1'>['state']) =>
  createEvent('connectivity.twin.reported.v1', {
    tenant: 'alpha',
    source: 'connectivity',
    payload: {
      deviceId,
      transport: 'mqtt',
      receivedAt: new Date().toISOString(),
      state,
      mqttTopic: `urbis/alpha/devices/${deviceId}/twin/reported`,
    },
  });

jest.setTimeout(120_000);

describe('device twin', () => {
  let h: DevicesHarness;

  beforeAll(async () => {
    h = await startDevicesHarness();
    await provisionDevices(h, OBSERVATION_FIXTURES[5].profile, ['lamp-1', 'lamp-2'], ['lamp-1']);
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

    // The device reports over MQTT (connectivity's event; twice: a redelivery), then a gateway over HTTP.
    const report = twinReport('lamp-1', { dimLevel: 40, firmware: '1.2.0' });
    await h.publish('connectivity.twin.reported.v1', [report, report]);
    const twin = await until(
      () => h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/twin'),
      (read) => (read.body['reported'] as { version: number }).version > 0,
      { timeoutMs: 15_000, everyMs: 100, what: 'the reported twin' },
    );
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

  it('dead-letters twin reports of unknown devices, and reports that break the contract, with the reason', async () => {
    const unknown = twinReport('no-such-lamp', { dimLevel: 1 });
    await h.publish('connectivity.twin.reported.v1', [unknown]);
    const [dead] = await h.reader.waitFor(
      (m) => m.topic === 'connectivity.twin.reported.v1.dlq' && (m.value as { id: string }).id === unknown.id,
    );
    expect(dead.headers['dlq-reason']).toContain('unknown device no-such-lamp');

    const broken = {
      ...twinReport('lamp-1', {}),
      payload: { ...twinReport('lamp-1', {}).payload, state: [1, 2, 3] },
    };
    await h.publishRaw('connectivity.twin.reported.v1', 'alpha/lamp-1', JSON.stringify(broken));
    const [invalid] = await h.reader.waitFor(
      (m) => m.topic === 'connectivity.twin.reported.v1.dlq' && (m.value as { id: string }).id === broken.id,
    );
    expect(invalid.headers['dlq-kind']).toBe('invalid');
    expect(invalid.headers['dlq-reason']).toContain('payload.state');
    const twin = await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1/twin');
    expect((twin.body['reported'] as { state: object }).state).not.toHaveProperty('0');
  });

  describe('end to end with connectivity and a real MQTT device', () => {
    let connectivityDb: TestDatabase;
    let connectivity: ServiceProcess;
    let mqttUrl: string;

    beforeAll(async () => {
      connectivityDb = await createTestDatabase('connectivity_twin');
      await applyMigrations('connectivity', connectivityDb.url);
      const mqttPort = await freePort();
      mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
      connectivity = await startServiceProcess('connectivity', {
        HOST: '127.0.0.1',
        DATABASE_URL: connectivityDb.url,
        KAFKA_BROKERS: h.kafka.bootstrapServers.join(','),
        OIDC_ISSUER_URL: h.idp.issuer,
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        REPLICA_ID: 'twin-e2e',
        LOG_LEVEL: 'warn',
      });
    });
    afterAll(async () => {
      await connectivity?.stop();
      await connectivityDb?.drop();
    });

    it('a desired change reaches the device over MQTT; its report on .../twin/reported closes the delta', async () => {
      const lamp = await h.call('operator', 'POST', '/devices/v1/devices', {
        id: 'lamp-3',
        profileId: (await h.call('auditor', 'GET', '/devices/v1/devices/lamp-1')).body['profileId'],
      });
      expect(lamp.status).toBe(201);
      await h.call('operator', 'POST', '/devices/v1/devices/lamp-3/lifecycle', { to: 'active' });
      const issued = await h.call('operator', 'POST', '/devices/v1/devices/lamp-3/credentials');
      const login = { clientId: 'alpha/lamp-3', token: issued.body['token'] as string };

      // Connectivity learns the device and its credential hash from devices' events.
      const device = await until(
        () => connectMqtt(mqttUrl, login).catch(() => undefined),
        (client) => client !== undefined,
        { timeoutMs: 30_000, everyMs: 250, what: 'connectivity to accept lamp-3' },
      );
      if (!device) throw new Error('unreachable');
      device.on('message', (topic, payload) => {
        const command = JSON.parse(payload.toString()) as {
          name: string;
          params: { state: Record<string, unknown> };
        };
        if (command.name !== 'twin.desired') return;
        // The lamp applies the desired state, reports it, and answers the command.
        device.publish(
          'urbis/alpha/devices/lamp-3/twin/reported',
          JSON.stringify({ state: command.params.state }),
          { qos: 1 },
        );
        device.publish(`${topic}/response`, JSON.stringify({ outcome: 'succeeded' }), { qos: 1 });
      });
      await device.subscribeAsync('urbis/alpha/devices/lamp-3/commands/+', { qos: 1 });

      const set = await h.call('operator', 'PATCH', '/devices/v1/devices/lamp-3/twin/desired', {
        state: { dimLevel: 70, schedule: { on: '20:00' } },
      });
      expect(set.status).toBe(200);
      const twin = await until(
        () => h.call('auditor', 'GET', '/devices/v1/devices/lamp-3/twin'),
        (read) => (read.body['reported'] as { version: number }).version > 0,
        { timeoutMs: 30_000, everyMs: 200, what: 'the reported twin of lamp-3' },
      );
      expect(twin.body).toMatchObject({
        desired: { state: { dimLevel: 70, schedule: { on: '20:00' } }, version: 1 },
        reported: { state: { dimLevel: 70, schedule: { on: '20:00' } }, version: 1 },
        delta: {},
      });
      const command = await until(
        () =>
          h.call('auditor', 'GET', `/devices/v1/devices/lamp-3/commands/${String(set.body['commandId'])}`),
        (read) => read.body['status'] === 'succeeded',
        { timeoutMs: 30_000, everyMs: 200, what: 'the twin.desired command to succeed' },
      );
      expect(command.body).toMatchObject({ name: 'twin.desired', deliveredAt: expect.any(String) });
      await device.endAsync();
    });
  });
});
