// Invalid messages (bad JSON, schema violation, wrong event type) and an event the handler keeps
// failing on land in <topic>.dlq with their reason headers; the valid events around them are handled.
import { createEvent, dlqTopicOf } from '@urbis/contracts';
import { DevKafka } from '@urbis/testing';
import { Kafka, Partitioners } from 'kafkajs';
import { EventConsumer, PermanentEventError } from './consumer';
import { DLQ_HEADERS } from './dlq';
import {
  readTopic,
  startBroker,
  statusEvent,
  StatusEvent,
  STATUS_TOPIC,
  testKafka,
  testLogger,
  waitFor,
} from './test-support/harness.test-helpers';

jest.setTimeout(60_000);

describe('dead-lettering (dev broker)', () => {
  let broker: DevKafka;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = testKafka(broker.bootstrapServers);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('dead-letters what cannot or will not be handled, with reasons, and carries on', async () => {
    const key = 'demo/dlq-lamp';
    const first = statusEvent('dlq-lamp', 1);
    const poison = statusEvent('dlq-lamp', 2);
    const rejected = statusEvent('dlq-lamp', 3);
    const last = statusEvent('dlq-lamp', 4);
    const schemaViolation = {
      ...statusEvent('dlq-lamp', 5),
      payload: { deviceId: 'dlq-lamp', status: 'flying', reason: 'uplink' },
    };
    const wrongType = createEvent('security.policy.changed.v1', {
      tenant: 'demo',
      source: 'security',
      payload: {
        policyId: '5b0c0a57-4b8b-4a4f-9d7c-1f0c1b6a2a11',
        change: 'deleted',
        changedAt: new Date().toISOString(),
      },
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    // A raw producer, as a buggy or foreign publisher would be: nothing validates what it writes.
    const raw = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
    await raw.send({
      topic: STATUS_TOPIC,
      acks: -1,
      messages: [
        { key, value: '{"id": "not json', headers: { traceparent, 'x-origin': 'bad-json' } },
        { key, value: JSON.stringify(first) },
        { key, value: JSON.stringify(schemaViolation), headers: { 'x-origin': 'schema' } },
        { key, value: JSON.stringify(poison) },
        { key, value: JSON.stringify(wrongType), headers: { 'x-origin': 'wrong-type' } },
        { key, value: JSON.stringify(rejected) },
        { key, value: JSON.stringify(last) },
      ],
    });
    await raw.disconnect();

    const handled: StatusEvent[] = [];
    const attemptsOnPoison: number[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: 'dlq-test',
      maxWaitTimeInMs: 100,
      logger: { ...testLogger, error: () => undefined },
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, jitter: 0 },
      subscriptions: {
        [STATUS_TOPIC]: async (events) => {
          if (events.some((event) => event.id === poison.id)) {
            attemptsOnPoison.push(Date.now());
            throw new Error('downstream says no');
          }
          if (events.some((event) => event.id === rejected.id)) throw new PermanentEventError('unknown lamp');
          handled.push(...events);
        },
      },
    });
    await consumer.start();
    try {
      await waitFor(() => handled.some((event) => event.id === last.id), 20_000, 'the last valid event');
    } finally {
      await consumer.stop();
    }

    expect(handled.map((event) => event.id)).toEqual([first.id, last.id]);
    expect(attemptsOnPoison).toHaveLength(1 + 3); // the batch call, then 3 attempts on its own

    const dead = (await readTopic(kafka, dlqTopicOf(STATUS_TOPIC), 5)).sort(
      (a, b) =>
        Number(a.headers?.[DLQ_HEADERS.originalOffset]) - Number(b.headers?.[DLQ_HEADERS.originalOffset]),
    );
    expect(dead).toHaveLength(5);
    const header = (index: number, name: string) => dead[index].headers?.[name]?.toString();
    const reasons = dead.map((_, i) => header(i, DLQ_HEADERS.reason));
    expect(reasons[0]).toMatch(/^value is not valid JSON/);
    expect(reasons[1]).toMatch(
      /^not a valid connectivity\.device-status\.changed\.v1 event: .*payload\.status: Invalid option/,
    );
    expect(reasons[1]).toContain('payload.changedAt');
    expect(reasons[2]).toMatch(/handler failed after 3 attempt\(s\): downstream says no/);
    expect(reasons[3]).toMatch(/type: Invalid input: expected "connectivity\.device-status\.changed\.v1"/);
    expect(reasons[4]).toBe('handler rejected the event: unknown lamp');
    expect(dead.map((_, i) => header(i, DLQ_HEADERS.kind))).toEqual([
      'invalid',
      'invalid',
      'handler-failed',
      'invalid',
      'handler-failed',
    ]);
    expect(dead.map((_, i) => header(i, DLQ_HEADERS.originalOffset))).toEqual(['0', '2', '3', '4', '5']);
    for (const [index, message] of dead.entries()) {
      expect(message.key?.toString()).toBe(key);
      expect(header(index, DLQ_HEADERS.originalTopic)).toBe(STATUS_TOPIC);
      expect(header(index, DLQ_HEADERS.consumerGroup)).toBe('dlq-test');
      expect(Number.isNaN(Date.parse(header(index, DLQ_HEADERS.failedAt) ?? ''))).toBe(false);
      expect(Number(header(index, DLQ_HEADERS.originalPartition))).toBeGreaterThanOrEqual(0);
    }
    // The original message travels unchanged, original headers (trace context included) kept.
    expect(dead[0].value?.toString()).toBe('{"id": "not json');
    expect(header(0, 'traceparent')).toBe(traceparent);
    expect(header(0, 'x-origin')).toBe('bad-json');
    expect(header(1, 'x-origin')).toBe('schema');
    expect(JSON.parse(dead[2].value?.toString() ?? '')).toEqual(poison);

    // Every offset was committed once the DLQ had acked: nothing left to redeliver.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const partition = Number(header(0, DLQ_HEADERS.originalPartition));
      const [committed] = await admin.fetchOffsets({ groupId: 'dlq-test', topics: [STATUS_TOPIC] });
      expect(committed.partitions.find((p) => p.partition === partition)?.offset).toBe('7');
    } finally {
      await admin.disconnect();
    }
  });

  it('does not dead-letter an event while its handler cannot reach the database: it waits, then handles it once', async () => {
    const waiting = statusEvent('outage-lamp', 1);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: STATUS_TOPIC, acks: -1, messages: [{ key: 'demo/outage-lamp', value: JSON.stringify(waiting) }] });
    await producer.disconnect();

    const calls: number[] = [];
    const handled: StatusEvent[] = [];
    const errors: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      groupId: 'outage-test',
      maxWaitTimeInMs: 100,
      logger: { ...testLogger, error: (message: string) => void errors.push(message) },
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, jitter: 0 },
      subscriptions: {
        [STATUS_TOPIC]: async (events) => {
          const mine = events.filter((event) => event.id === waiting.id);
          if (mine.length === 0) return;
          calls.push(Date.now());
          // the database restarting: refused, then shutting down, for more calls than `attempts`
          if (calls.length <= 4) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          if (calls.length <= 8) throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
          handled.push(...mine);
        },
      },
    });
    await consumer.start();
    try {
      await waitFor(() => handled.length > 0, 20_000, 'the event handled once the database is back');
    } finally {
      await consumer.stop();
    }
    expect(handled.map((event) => event.id)).toEqual([waiting.id]);
    expect(calls).toHaveLength(9); // the batch call, 7 more while unreachable, the one that worked
    expect(errors).toEqual([]); // no "dead-lettering the event"
  });
});
