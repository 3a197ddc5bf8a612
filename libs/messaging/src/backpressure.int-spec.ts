// Backpressure and drain: a slow handler or too many in-flight events pause the partition (kafkajs
// pause/resume) instead of piling up work; stop() lets the handler call in progress finish and commits it.
import { createEvent } from '@urbis/contracts';
import { DevKafka } from '@urbis/testing';
import { Kafka } from 'kafkajs';
import { EventConsumer } from './consumer';
import { MessagingLogger } from './logger';
import { EventPublisher } from './publisher';
import {
  startBroker,
  statusEvent,
  StatusEvent,
  STATUS_TOPIC,
  testKafka,
  testLogger,
  waitFor,
} from './test-support/harness.test-helpers';

jest.setTimeout(60_000);

const LIFECYCLE_TOPIC = 'devices.lifecycle.changed.v1';

describe('EventConsumer backpressure and drain (dev broker)', () => {
  let broker: DevKafka;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = testKafka(broker.bootstrapServers);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const publishOnOneKey = async (deviceId: string, count: number): Promise<StatusEvent[]> => {
    const events = Array.from({ length: count }, (_, i) => statusEvent(deviceId, i));
    const publisher = new EventPublisher({ kafka });
    await publisher.connect();
    await publisher.publish(STATUS_TOPIC, events, { key: `demo/${deviceId}` });
    await publisher.disconnect();
    return events;
  };

  const recordingLogger = (log: string[]): MessagingLogger => ({
    ...testLogger,
    info: (message) => void log.push(message),
  });

  it.each([
    ['a slow handler', { slowHandlerMs: 20, cooldownMs: 150, maxInFlightEvents: 10_000 }, 'slow-lamp'],
    [
      'too many in-flight events',
      { slowHandlerMs: 60_000, cooldownMs: 150, maxInFlightEvents: 15 },
      'busy-lamp',
    ],
  ])(
    'pauses and resumes the partition for %s, handling every event once, in order',
    async (_case, backpressure, deviceId) => {
      const events = await publishOnOneKey(deviceId, 60);
      const handled: string[] = [];
      const log: string[] = [];
      let concurrent = 0;
      let maxConcurrent = 0;
      const consumer = new EventConsumer({
        kafka,
        groupId: `backpressure-${deviceId}`,
        maxWaitTimeInMs: 100,
        maxEventsPerCall: 10,
        backpressure,
        logger: recordingLogger(log),
        subscriptions: {
          [STATUS_TOPIC]: async (batch) => {
            maxConcurrent = Math.max(maxConcurrent, ++concurrent);
            await new Promise((resolve) => setTimeout(resolve, 30));
            handled.push(
              ...batch.filter((event) => event.payload.deviceId === deviceId).map((event) => event.id),
            );
            concurrent--;
          },
        },
      });
      await consumer.start();
      try {
        await waitFor(() => handled.length >= events.length, 30_000, 'every event');
      } finally {
        await consumer.stop();
      }
      expect(handled).toEqual(events.map((event) => event.id));
      expect(maxConcurrent).toBe(1);
      expect(log.filter((line) => line === 'pausing partition').length).toBeGreaterThan(0);
      expect(log.filter((line) => line === 'resuming partition').length).toBeGreaterThan(0);
    },
  );

  it('drains on stop: the handler call in progress finishes and its offsets are committed', async () => {
    // A topic of its own, so the first batch is surely this test's.
    const events = Array.from({ length: 20 }, () =>
      createEvent(LIFECYCLE_TOPIC, {
        tenant: 'demo',
        source: 'devices',
        payload: {
          deviceId: 'drain-meter',
          from: null,
          to: 'provisioned',
          changedAt: new Date().toISOString(),
        },
      }),
    );
    const publisher = new EventPublisher({ kafka });
    await publisher.connect();
    await publisher.publish(LIFECYCLE_TOPIC, events, { key: 'demo/drain-meter' });
    await publisher.disconnect();
    let started = false;
    const finished: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: 'drain',
      maxWaitTimeInMs: 100,
      maxEventsPerCall: 5,
      logger: testLogger,
      subscriptions: {
        [LIFECYCLE_TOPIC]: async (batch) => {
          started = true;
          await new Promise((resolve) => setTimeout(resolve, 500));
          finished.push(...batch.map((event) => event.id));
        },
      },
    });
    await consumer.start();
    await waitFor(() => started, 20_000, 'the first handler call');
    await consumer.stop(); // called while the first call (5 events) is in progress
    expect(finished).toEqual(events.slice(0, 5).map((event) => event.id));
    expect(consumer.isRunning()).toBe(false);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'drain', topics: [LIFECYCLE_TOPIC] });
      expect(committed.partitions.map((p) => p.offset).filter((offset) => offset !== '-1')).toEqual(['5']);
    } finally {
      await admin.disconnect();
    }
  });
});
