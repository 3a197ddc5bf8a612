// A typed event published by one process (a child Node process using EventPublisher) is consumed by
// another (this test process, with EventConsumer), exactly as it was sent.
import { DevKafka } from '@urbis/testing';
import { Kafka } from 'kafkajs';
import { ConsumedRecord, EventConsumer } from './consumer';
import { provisionTopics } from './provision';
import { provisionedTopics } from '@urbis/contracts';
import {
  runScript,
  startBroker,
  StatusEvent,
  STATUS_TOPIC,
  testKafka,
  testLogger,
  waitFor,
} from './test-support/harness.test-helpers';

jest.setTimeout(60_000);

describe('EventPublisher → EventConsumer across processes (dev broker)', () => {
  let broker: DevKafka;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = testKafka(broker.bootstrapServers);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('provisioning lists first and creates nothing when every topic exists (the dev broker has no CreateTopics)', async () => {
    await expect(
      provisionTopics(kafka, provisionedTopics(), { partitions: 3, replicationFactor: 3 }),
    ).resolves.toEqual([]);
  });

  it('consumes the typed events another process published, unchanged, in per-key order, with the event headers', async () => {
    const child = runScript('publish-child.test-helpers.ts', {
      BROKERS: broker.bootstrapServers.join(','),
      COUNT: '9',
    });
    const line = await child.waitForLine((l) => l.startsWith('['));
    await expect(child.exited).resolves.toEqual({ code: 0, signal: null });
    const sent = JSON.parse(line) as StatusEvent[];

    const received: StatusEvent[] = [];
    const records: ConsumedRecord[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: 'publish-consume',
      maxWaitTimeInMs: 100,
      logger: testLogger,
      subscriptions: {
        [STATUS_TOPIC]: async (events, context) => {
          received.push(...events);
          records.push(...context.records);
        },
      },
    });
    expect(consumer.isRunning()).toBe(false);
    await consumer.start();
    try {
      await waitFor(() => received.length >= sent.length, 20_000, 'all events');
      await waitFor(() => consumer.isRunning(), 5_000, 'the consumer to report it joined');
    } finally {
      await consumer.stop();
    }
    expect(consumer.isRunning()).toBe(false);
    expect(consumer.health()).toMatchObject({ state: 'stopped', ready: false });

    const byId = (a: StatusEvent, b: StatusEvent) => a.id.localeCompare(b.id);
    expect([...received].sort(byId)).toEqual([...sent].sort(byId));
    // One key, one partition: each device's events arrive in the order they were published.
    for (const device of ['lamp-0', 'lamp-1', 'lamp-2']) {
      const order = (events: StatusEvent[]) =>
        events.filter((e) => e.payload.deviceId === device).map((e) => e.id);
      expect(order(received)).toEqual(order(sent));
    }
    for (const [index, record] of records.entries()) {
      expect(record.key).toBe(`demo/${received[index].payload.deviceId}`);
      expect(record.headers['content-type']?.toString()).toBe('application/json');
      expect(record.headers['event-type']?.toString()).toBe(STATUS_TOPIC);
      expect(record.headers['event-id']?.toString()).toBe(received[index].id);
    }
  });
});
