import { provisionedTopics } from '@urbis/contracts';
import { connectMqtt, EventReader, metricValue, mqttClosed, startDevKafka } from '@urbis/testing';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { IClientOptions } from 'mqtt';
import {
  type ConnectivitySuite,
  type DevicesServiceDouble,
  type Infrastructure,
  serviceEnv,
  startConnectivity,
  startConnectivitySuite,
  TLS_FIXTURE,
  type TestDevice,
  type TestService,
} from '../test-support/harness.test-helpers';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';


/** Resolves with the CONNACK return code a refused connection got. */
async function refusalCode(url: string, device: TestDevice, overrides: IClientOptions = {}): Promise<number | undefined> {
  try {
    const client = await connectMqtt(url, device, overrides);
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}


describe('MQTT server', () => {
  let suite: ConnectivitySuite;
  let infra: Infrastructure;
  let service: TestService;
  let devices: DevicesServiceDouble;
  let uplinks: EventReader<'connectivity.uplink.received.v1'>;
  let twinReports: EventReader<'connectivity.twin.reported.v1'>;

  beforeAll(async () => {
    suite = await startConnectivitySuite('connectivity_mqtt', {
      LIMIT_MAX_PAYLOAD_BYTES: '1024',
      MQTT_TLS_PORT: '0',
      MQTT_TLS_CERT_FILE: TLS_FIXTURE.certFile,
      MQTT_TLS_KEY_FILE: TLS_FIXTURE.keyFile,
    });
    ({ infra, service, devices } = suite);
    uplinks = await suite.reader('connectivity.uplink.received.v1');
    twinReports = await suite.reader('connectivity.twin.reported.v1');
  });

  afterAll(() => suite?.stop());

  it('is ready only with its MQTT server and registry consumer running', async () => {
    const response = await fetch(`${service.url}/health/ready`);
    const body = (await response.json()) as { checks: { name: string; ok: boolean }[] };
    expect(response.status).toBe(200);
    expect(body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'mqtt-server', ok: true }),
        expect.objectContaining({ name: 'registry-consumer', ok: true }),
      ]),
    );
  });

  it('acknowledges a QoS 1 uplink after Kafka has it, with tenant, device, topic and raw payload', async () => {
    const device = await devices.register('alpha');
    const client = await connectMqtt(service.mqttUrl, device);
    const payload = Buffer.from([0x01, 0xff, 0x00, 0x7b]);
    await client.publishAsync(device.topic('up'), payload, { qos: 1 });
    // PUBACK received: the event must already be in Kafka (acks=all), not merely on its way.
    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 1, 2_000);
    expect(read?.key).toBe(`alpha/${device.deviceId}`);
    expect(read?.event).toMatchObject({
      type: 'connectivity.uplink.received.v1',
      tenant: 'alpha',
      source: 'connectivity',
      payload: { deviceId: device.deviceId, transport: 'mqtt', mqttTopic: device.topic('up'), payload: payload.toString('base64') },
    });
    expect(read?.headers['traceparent']?.toString()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    await client.endAsync();
  });

  it('accepts QoS 0 uplinks too', async () => {
    const device = await devices.register('alpha');
    const client = await connectMqtt(service.mqttUrl, device);
    for (let i = 0; i < 5; i++) client.publish(device.topic('up'), JSON.stringify({ n: i }), { qos: 0 });
    const reads = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 5);
    expect(reads.map((read) => Buffer.from(read.event.payload.payload, 'base64').toString())).toEqual(
      [0, 1, 2, 3, 4].map((n) => JSON.stringify({ n })),
    );
    await client.endAsync();
  });

  it('acknowledges a twin report after Kafka has it as connectivity.twin.reported.v1, not as an uplink', async () => {
    const device = await devices.register('alpha');
    const client = await connectMqtt(service.mqttUrl, device);
    await client.publishAsync(device.topic('twin/reported'), JSON.stringify({ state: { dimLevel: 40, firmware: { version: '1.2.0' } } }), { qos: 1 });
    const [read] = await twinReports.waitFor((event) => event.payload.deviceId === device.deviceId, 1, 2_000);
    expect(read?.key).toBe(`alpha/${device.deviceId}`);
    expect(read?.event).toMatchObject({
      tenant: 'alpha',
      source: 'connectivity',
      payload: { transport: 'mqtt', mqttTopic: device.topic('twin/reported'), state: { dimLevel: 40, firmware: { version: '1.2.0' } } },
    });
    expect(read?.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-/);
    await client.publishAsync(device.topic('twin/reported'), '{"dimLevel": 41}', { qos: 1 });
    await twinReports.waitFor((event) => event.payload.deviceId === device.deviceId, 2, 2_000);
    expect(uplinks.matching((event) => event.payload.deviceId === device.deviceId)).toEqual([]);

    // Not a state object: no PUBACK, the session is closed and counted, nothing reaches Kafka.
    const before = await metricValue(service.url, 'connectivity_rejections_total', { transport: 'mqtt', reason: 'invalid-payload' });
    const gone = mqttClosed(client);
    client.publish(device.topic('twin/reported'), '[1,2,3]', { qos: 1 });
    await gone;
    client.end(true);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { transport: 'mqtt', reason: 'invalid-payload' })).toBe(before + 1);
    expect(twinReports.matching((event) => event.payload.deviceId === device.deviceId)).toHaveLength(2);
  });

  it('refuses wrong tokens, unknown and suspended devices, and bad identities, each with its return code and metric', async () => {
    const device = await devices.register('alpha');
    const before = await metricValue(service.url, 'connectivity_rejections_total', { transport: 'mqtt', reason: 'bad-token' });
    expect(await refusalCode(service.mqttUrl, device, { password: 'not-the-token' })).toBe(4);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { transport: 'mqtt', reason: 'bad-token' })).toBe(before + 1);
    expect(await refusalCode(service.mqttUrl, { ...device, clientId: 'alpha/nobody' })).toBe(4);
    expect(await refusalCode(service.mqttUrl, device, { username: 'nobody' })).toBe(4);
    expect(await refusalCode(service.mqttUrl, device, { clientId: 'some-other-id' })).toBe(2);
    expect(await refusalCode(service.mqttUrl, { ...device, clientId: `beta/${device.deviceId}` })).toBe(4);

    const suspended = await devices.register('alpha');
    await devices.changeDevice('alpha', suspended.deviceId, { state: 'suspended' });
    expect(await refusalCode(service.mqttUrl, suspended)).toBe(5);

    const revoked = await devices.register('alpha');
    expect(await refusalCode(service.mqttUrl, revoked)).toBe(0);
    await devices.revoke(revoked);
    expect(await refusalCode(service.mqttUrl, revoked)).toBe(4);
  });

  it('closes a live session at once when its device is suspended or its token revoked', async () => {
    const [suspended, revoked, bystander] = [await devices.register('alpha'), await devices.register('alpha'), await devices.register('alpha')];
    const calm = await connectMqtt(service.mqttUrl, bystander);
    const first = await connectMqtt(service.mqttUrl, suspended);
    const firstClosed = mqttClosed(first);
    await devices.changeDevice('alpha', suspended.deviceId, { state: 'suspended' });
    await firstClosed;
    first.end(true);
    const second = await connectMqtt(service.mqttUrl, revoked);
    const secondClosed = mqttClosed(second);
    await devices.revoke(revoked);
    await secondClosed;
    second.end(true);
    expect(await refusalCode(service.mqttUrl, suspended)).toBe(5);
    expect(await refusalCode(service.mqttUrl, revoked)).toBe(4);
    await calm.publishAsync(bystander.topic('up'), 'unaffected', { qos: 1 });
    await calm.endAsync();
  });

  it('closes a session that publishes outside its own prefix or too much, and other devices carry on', async () => {
    const [intruder, bystander] = [await devices.register('alpha'), await devices.register('alpha')];
    const other = await connectMqtt(service.mqttUrl, bystander);
    const bad = await connectMqtt(service.mqttUrl, intruder);
    const gone = mqttClosed(bad);
    bad.publish(bystander.topic('up'), 'spoofed', { qos: 1 });
    await gone;
    bad.end(true);

    const big = await connectMqtt(service.mqttUrl, intruder);
    const goneToo = mqttClosed(big);
    big.publish(intruder.topic('up'), Buffer.alloc(2048), { qos: 1 });
    await goneToo;
    big.end(true);

    await other.publishAsync(bystander.topic('up'), 'still here', { qos: 1 });
    const reads = await uplinks.waitFor((event) => event.payload.deviceId === bystander.deviceId);
    expect(reads.map((read) => Buffer.from(read.event.payload.payload, 'base64').toString())).toEqual(['still here']);
    expect(uplinks.matching((event) => event.payload.deviceId === intruder.deviceId)).toEqual([]);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { reason: 'topic-not-allowed' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { reason: 'payload-too-large' })).toBeGreaterThanOrEqual(1);
    await other.endAsync();
  });

  it('grants subscriptions to the device’s own commands only', async () => {
    const device = await devices.register('alpha');
    const client = await connectMqtt(service.mqttUrl, device);
    const grantedQos = (filter: string) =>
      client.subscribeAsync(filter, { qos: 1 }).then(
        (granted) => granted[0]?.qos,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0],
      );
    expect(await grantedQos(device.topic('commands/+'))).toBe(1);
    expect(await grantedQos('urbis/alpha/devices/+/up')).toBe(128);
    expect(await grantedQos('#')).toBe(128);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('serves MQTT over TLS with the same devices and checks, a PUBACK after Kafka', async () => {
    const mqttsUrl = service.mqttsUrl ?? '';
    const ca = readFileSync(TLS_FIXTURE.certFile);
    const device = await devices.register('alpha');
    const client = await connectMqtt(mqttsUrl, device, { ca });
    await client.publishAsync(device.topic('up'), 'over tls', { qos: 1 });
    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId, 1, 2_000);
    expect(Buffer.from(read?.event.payload.payload ?? '', 'base64').toString()).toBe('over tls');
    await client.endAsync();

    expect(await refusalCode(mqttsUrl, { ...device, token: 'wrong' }, { ca })).toBe(4);
    // A client that does not trust the certificate, and one speaking plain MQTT to the TLS port, get nowhere.
    await expect(connectMqtt(mqttsUrl, device)).rejects.toThrow(/self-signed certificate/);
    await expect(connectMqtt(mqttsUrl.replace('mqtts:', 'mqtt:'), device, { connectTimeout: 2_000 })).rejects.toThrow();
    expect(await metricValue(service.url, 'connectivity_rejections_total', { reason: 'tls-handshake' })).toBeGreaterThanOrEqual(1);
  });

  it('survives garbage on the wire without disturbing connected devices', async () => {
    const device = await devices.register('alpha');
    const client = await connectMqtt(service.mqttUrl, device);
    const port = Number(new URL(service.mqttUrl).port);
    for (const garbage of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), Buffer.from([0x30, 0x02, 0x00])]) {
      await new Promise<void>((resolve) => {
        const socket = new Socket();
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.connect(port, '127.0.0.1', () => socket.end(garbage));
      });
    }
    await client.publishAsync(device.topic('up'), 'after garbage', { qos: 1 });
    await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { reason: 'malformed-packet' })).toBeGreaterThanOrEqual(1);
    await client.endAsync();
  });

  const withMosquitto = existsSync(MOSQUITTO_PUB) ? it : it.skip;
  if (!existsSync(MOSQUITTO_PUB)) {
    process.stderr.write(`skipping the mosquitto_pub test: ${MOSQUITTO_PUB} is missing (apt-get install -y mosquitto-clients)\n`);
  }
  withMosquitto('takes a QoS 1 uplink from mosquitto_pub', async () => {
    const device = await devices.register('alpha');
    const url = new URL(service.mqttUrl);
    await promisify(execFile)(MOSQUITTO_PUB, [
      '-h', url.hostname, '-p', url.port, '-V', 'mqttv311', '-q', '1',
      '-i', device.clientId, '-u', device.clientId, '-P', device.token,
      '-t', device.topic('up'), '-m', '{"pm25":12.5}',
    ], { timeout: 10_000 });
    const [read] = await uplinks.waitFor((event) => event.payload.deviceId === device.deviceId);
    expect(Buffer.from(read?.event.payload.payload ?? '', 'base64').toString()).toBe('{"pm25":12.5}');
  });

  it('authenticates from its own database: a replica on an empty broker still knows the device', async () => {
    const device = await devices.register('alpha');
    const emptyKafka = await startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 50 });
    const second = await startConnectivity(serviceEnv({ database: infra.database, kafka: emptyKafka }));
    try {
      const client = await connectMqtt(second.mqttUrl, device);
      await client.endAsync();
    } finally {
      await second.shutdown();
      await emptyKafka.stop();
    }
  });
});
