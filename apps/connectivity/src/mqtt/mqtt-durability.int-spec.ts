import { connectMqtt, EventReader, until } from '@urbis/testing';
import { type ChildService, startChildService } from '../test-support/child-service.test-helpers';
import {
  DevicesServiceDouble,
  type Infrastructure,
  serviceEnv,
  startInfrastructure,
  type TestDevice,
} from '../test-support/harness.test-helpers';


describe('a QoS 1 PUBACK means the reading is in Kafka', () => {
  let infra: Infrastructure;
  let service: ChildService | undefined;
  let devices: DevicesServiceDouble;
  let uplinks: EventReader<'connectivity.uplink.received.v1'>;

  beforeAll(async () => {
    infra = await startInfrastructure('connectivity_kill');
    devices = new DevicesServiceDouble(infra.kafka.bootstrapServers, infra.database.url);
    await devices.connect();
    uplinks = new EventReader(infra.kafka.bootstrapServers, 'connectivity.uplink.received.v1');
    await uplinks.start();
  });

  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await uplinks?.stop();
    await devices?.disconnect();
    await infra?.stop();
  });

  it('keeps every acknowledged reading when the service is SIGKILLed right after a PUBACK', async () => {
    service = await startChildService(serviceEnv(infra, { LOG_LEVEL: 'warn' }));
    const fleet = await Promise.all([0, 1, 2, 3, 4].map(() => devices.register('alpha')));
    const running = service;
    const clients = await Promise.all(fleet.map((device) => connectMqtt(running.mqttUrl, device)));
    const acked: string[] = [];
    let killedAfter: number | undefined;
    clients.forEach((client, index) => {
      const device = fleet[index] as TestDevice;
      client.on('error', () => undefined);
      for (let n = 0; n < 40; n++) {
        const reading = `${device.deviceId}#${n}`;
        client.publish(device.topic('up'), reading, { qos: 1 }, (error) => {
          if (error || killedAfter !== undefined) return;
          acked.push(reading);
          if (acked.length === 25) {
            running.child.kill('SIGKILL'); // at once, in the PUBACK's own callback
            killedAfter = acked.length;
          }
        });
      }
    });
    expect(await running.exited).toBeNull();
    clients.forEach((client) => client.end(true));
    expect(killedAfter).toBe(25);

    // Every acknowledged reading is read back (readings Kafka took without the PUBACK reaching the
    // device may be there too; the reader takes the partitions one after the other).
    const ids = new Set(fleet.map((device) => device.deviceId));
    const missing = () => {
      const inKafka = new Set(
        uplinks
          .matching((event) => ids.has(event.payload.deviceId))
          .map((read) => Buffer.from(read.event.payload.payload, 'base64').toString()),
      );
      return acked.filter((reading) => !inKafka.has(reading));
    };
    expect(await until(missing, (left) => left.length === 0, { timeoutMs: 15_000, what: 'every acknowledged reading in Kafka' })).toEqual([]);
  });
});
