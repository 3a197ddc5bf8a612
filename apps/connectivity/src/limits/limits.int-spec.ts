import { provisionedTopics } from '@urbis/contracts';
import { connectMqtt, type DevKafka, EventReader, metricValue, startDevKafka } from '@urbis/testing';
import {
  type ConnectivitySuite,
  type DevicesServiceDouble,
  type Infrastructure,
  serviceEnv,
  startConnectivity,
  startConnectivitySuite,
  type TestDevice,
  type TestService,
} from '../test-support/harness.test-helpers';


describe('limits', () => {
  let suite: ConnectivitySuite;
  let infra: Infrastructure;
  let service: TestService;
  let devices: DevicesServiceDouble;
  let audits: EventReader<'security.audit.recorded.v1'>;

  beforeAll(async () => {
    suite = await startConnectivitySuite('connectivity_limits', { LIMIT_BURST_SECONDS: '3', LIMIT_TENANT_CONNECTIONS: '2', LIMIT_DEVICE_MESSAGES_PER_MINUTE: '6000' });
    ({ infra, service, devices } = suite);
    audits = await suite.reader('security.audit.recorded.v1');
  });

  afterAll(() => suite?.stop());

  it('answers HTTP 429 with Retry-After past the device’s rate, and audits it once', async () => {
    const device = await devices.register('alpha', { limits: { messagesPerMinute: 60 } });
    const post = () =>
      fetch(`${service.url}/ingest/v1/alpha/devices/${device.deviceId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-type': 'text/plain' },
        body: 'x',
      });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: 'rate-limited', limit: 60 });
    expect(await metricValue(service.url, 'connectivity_rejections_total', { transport: 'http', reason: 'rate-limited' })).toBe(3);

    const reads = await audits.waitFor((event) => event.payload.actor.id === `alpha/${device.deviceId}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(audits.matching((event) => event.payload.actor.id === `alpha/${device.deviceId}`)).toHaveLength(1);
    expect(reads[0]?.event).toMatchObject({
      tenant: 'alpha',
      source: 'connectivity',
      payload: { actor: { kind: 'device' }, action: 'connectivity.http.message-rate', outcome: 'denied', reason: 'message-rate' },
    });
  });

  it('closes an MQTT session past its rate; other devices keep publishing', async () => {
    const [flooder, neighbour] = [await devices.register('alpha', { limits: { messagesPerMinute: 60 } }), await devices.register('alpha')];
    const calm = await connectMqtt(service.mqttUrl, neighbour);
    const client = await connectMqtt(service.mqttUrl, flooder);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    for (let i = 0; i < 3; i++) await client.publishAsync(flooder.topic('up'), `m${i}`, { qos: 1 });
    client.publish(flooder.topic('up'), 'one too many', { qos: 1 });
    await closed;
    client.end(true);
    await calm.publishAsync(neighbour.topic('up'), 'fine', { qos: 1 });
    await audits.waitFor((event) => event.payload.actor.id === `alpha/${flooder.deviceId}` && event.payload.action === 'connectivity.mqtt.message-rate');
    await calm.endAsync();
  });

  it('refuses a tenant’s sessions beyond its quota with CONNACK 3, and frees the slot on disconnect', async () => {
    const fleet = await Promise.all([0, 1, 2].map(() => devices.register('gamma')));
    const [first, second] = [await connectMqtt(service.mqttUrl, fleet[0] as TestDevice), await connectMqtt(service.mqttUrl, fleet[1] as TestDevice)];
    await expect(connectMqtt(service.mqttUrl, fleet[2] as TestDevice)).rejects.toMatchObject({ code: 3 });
    await first.endAsync();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await connectMqtt(service.mqttUrl, fleet[2] as TestDevice);
    expect(await metricValue(service.url, 'connectivity_rejections_total', { reason: 'connection-quota' })).toBe(1);
    await Promise.all([second.endAsync(), third.endAsync()]);
  });

  describe('on a replica with tight address and tenant limits', () => {
    let emptyKafka: DevKafka;
    let tight: TestService;

    beforeAll(async () => {
      // Its own empty broker: no rebalance with the main replica; it authenticates from the shared database.
      emptyKafka = await startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 50 });
      tight = await startConnectivity(
        serviceEnv(
          { database: infra.database, kafka: emptyKafka },
          { LIMIT_BURST_SECONDS: '3', LIMIT_CONNECTS_PER_ADDRESS_PER_MINUTE: '60', LIMIT_TENANT_MESSAGES_PER_MINUTE: '60' },
        ),
      );
    });

    afterAll(async () => {
      await tight?.shutdown();
      await emptyKafka?.stop();
    });

    it('closes connections from an address that reconnects in a tight loop, before any token check', async () => {
      const device = await devices.register('alpha');
      const outcomes: string[] = [];
      for (let i = 0; i < 8; i++) {
        outcomes.push(
          await connectMqtt(tight.mqttUrl, device, { connectTimeout: 2_000 }).then(
            async (client) => {
              await client.endAsync();
              return 'connected';
            },
            () => 'closed',
          ),
        );
      }
      expect(outcomes.slice(0, 3)).toEqual(['connected', 'connected', 'connected']);
      expect(outcomes.slice(3)).toEqual(['closed', 'closed', 'closed', 'closed', 'closed']);
      expect(await metricValue(tight.url, 'connectivity_rejections_total', { reason: 'connect-rate' })).toBe(5);
    });

    it('answers 429 past the tenant’s message quota, whichever of its devices sends; other tenants carry on', async () => {
      const [first, second, other] = [await devices.register('epsilon'), await devices.register('epsilon'), await devices.register('zeta')];
      const post = (device: TestDevice) =>
        fetch(`${tight.url}/ingest/v1/${device.tenant}/devices/${device.deviceId}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${device.token}`, 'content-type': 'text/plain' },
          body: 'x',
        });
      // 60 per minute with 3 seconds of burst: 3 messages of the tenant pass at once, in total.
      const statuses = [];
      for (const device of [first, second, first, second]) statuses.push((await post(device)).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const refused = await post(first);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ code: 'rate-limited', limit: 60, detail: expect.stringContaining('tenant epsilon') });
      expect(await metricValue(tight.url, 'connectivity_rejections_total', { transport: 'http', reason: 'tenant-quota' })).toBe(2);
      expect((await post(other)).status).toBe(202);
    });
  });
});
