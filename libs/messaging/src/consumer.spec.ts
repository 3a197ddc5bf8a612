import { EventEmitter } from 'node:events';
import { Kafka } from 'kafkajs';
import { EventConsumer } from './consumer';

/** Just enough of a kafkajs client to drive the consumer's lifecycle events; the real thing is in the int-specs. */
function fakeKafka() {
  const emitter = new EventEmitter();
  const events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', STOP: 'consumer.stop', REQUEST: 'consumer.network.request' };
  const consumer = {
    events,
    on: (event: string, listener: (payload: unknown) => void) => emitter.on(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    stop: async () => void emitter.emit(events.STOP, { payload: {} }),
    disconnect: async () => undefined,
  };
  const producer = {
    events: { REQUEST: 'producer.network.request' },
    on: () => undefined,
    connect: async () => undefined,
    disconnect: async () => undefined,
  };
  const kafka = { consumer: () => consumer, producer: () => producer } as unknown as Kafka;
  return {
    kafka,
    emit: (event: keyof typeof events, payload: object) => emitter.emit(events[event], { payload }),
  };
}

describe('EventConsumer readiness', () => {
  it('is ready only between joining its group and a crash or a stop', async () => {
    const { kafka, emit } = fakeKafka();
    const consumer = new EventConsumer({
      kafka,
      groupId: 'g',
      logger: {
        error: () => undefined,
        warn: () => undefined,
        info: () => undefined,
        debug: () => undefined,
      },
      subscriptions: { 'devices.lifecycle.changed.v1': async () => undefined },
    });
    expect(consumer.isRunning()).toBe(false);
    await consumer.start();
    expect(consumer.health()).toMatchObject({ state: 'starting', ready: false });

    emit('GROUP_JOIN', { memberId: 'm-1' });
    expect(consumer.health()).toMatchObject({ state: 'joined', ready: true, memberId: 'm-1' });

    // What kafkajs does on a crash: disconnect (STOP), then CRASH, then restart and join again.
    emit('STOP', {});
    expect(consumer.isRunning()).toBe(false);
    emit('CRASH', { error: new Error('broker gone'), groupId: 'g', restart: true });
    expect(consumer.health()).toMatchObject({ state: 'restarting', ready: false, lastError: 'broker gone' });
    emit('GROUP_JOIN', { memberId: 'm-2' });
    expect(consumer.isRunning()).toBe(true);

    emit('STOP', {});
    emit('CRASH', { error: new Error('fatal'), groupId: 'g', restart: false });
    expect(consumer.health()).toMatchObject({ state: 'crashed', ready: false });

    await consumer.stop();
    expect(consumer.health()).toMatchObject({ state: 'stopped', ready: false });
  });

  it('refuses a consumer without subscriptions', () => {
    expect(() => new EventConsumer({ kafka: fakeKafka().kafka, groupId: 'g', subscriptions: {} })).toThrow(
      /subscribes to no topic/,
    );
  });
});
