// Integration test of the dev broker (tools/dev-kafka) against the real kafkajs client:
// topic listing, idempotent produce, consumer-group consumption with manual commits, and a
// second group member resuming after the committed offsets once the first one left the group.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, Partitioners, type Consumer, type IHeaders } from 'kafkajs';
import { buildDevKafka, startDevKafka, type DevKafka } from './dev-kafka';

// Set URBIS_TEST_KAFKA_LOG=1 to see the broker's and kafkajs' logs.
const verbose = process.env['URBIS_TEST_KAFKA_LOG'] === '1';

jest.setTimeout(120_000);

interface Received {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  traceparent: string | undefined;
}

function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs `consumer` until it has seen `expected` messages (within `timeoutMs`), committing each
 * offset after the message is "processed", then keeps it running for `settleMs` more to catch
 * extra deliveries.
 */
async function consume(
  consumer: Consumer,
  expected: number,
  { timeoutMs, settleMs }: { timeoutMs: number; settleMs: number },
): Promise<Received[]> {
  const received: Received[] = [];
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      received.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        traceparent: headerString(message.headers, 'traceparent'),
      });
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  await waitFor(
    () => received.length >= expected,
    timeoutMs,
    `${expected} messages (got ${received.length})`,
  );
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return received;
}

describe('dev-kafka broker with kafkajs', () => {
  const readings = 'urbis.test.readings.v1';
  const commands = 'urbis.test.commands.v1';
  const dimming = 'urbis.test.dimming.v1';
  const groupId = 'urbis-test-group';
  let workDir: string;
  let bootstrapFile: string;
  let broker: DevKafka | undefined;
  let kafka: Kafka;

  beforeAll(async () => {
    await buildDevKafka();
    workDir = mkdtempSync(path.join(tmpdir(), 'urbis-dev-kafka-'));
    bootstrapFile = path.join(workDir, 'bootstrap-servers');
    broker = await startDevKafka({
      topics: [readings, `${commands}:1`, `${dimming}:1`],
      partitions: 3,
      bootstrapFile,
      groupInitialRebalanceDelayMs: 100,
      ...(verbose ? { onLog: (line: string) => process.stderr.write(`[dev-kafka] ${line}\n`) } : {}),
    });
    kafka = new Kafka({
      clientId: 'urbis-dev-kafka-int-spec',
      brokers: broker.bootstrapServers,
      logLevel: verbose ? logLevel.INFO : logLevel.NOTHING,
    });
  }, 300_000);

  afterAll(async () => {
    await broker?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('reports three brokers and writes them to the bootstrap file', () => {
    expect(broker?.bootstrapServers).toHaveLength(3);
    for (const server of broker?.bootstrapServers ?? []) expect(server).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(readFileSync(bootstrapFile, 'utf8')).toBe(`${broker?.bootstrapServers.join(',')}\n`);
  });

  it('lists the pre-created topics with their partition counts', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      expect(topics).toEqual(expect.arrayContaining([readings, commands]));
      const metadata = await admin.fetchTopicMetadata({ topics: [readings, commands] });
      const partitionCounts = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
      expect(partitionCounts).toEqual({ [readings]: 3, [commands]: 1 });
      // The mock has no CreateTopics API: provisioning must list before it creates.
      await expect(
        admin.createTopics({ topics: [{ topic: 'urbis.test.not-creatable.v1' }] }),
      ).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers idempotently produced messages to a consumer group that resumes from committed offsets', async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const consumers: Consumer[] = [];
    const newConsumer = async (): Promise<Consumer> => {
      // kafkajs' default session timeout (30 s) on purpose: see the rejoin check below.
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
      consumers.push(consumer);
      await consumer.connect();
      // fromBeginning: without committed offsets the group would re-read everything,
      // so the second consumer only sees new messages if the commits took effect.
      await consumer.subscribe({ topics: [readings, commands], fromBeginning: true });
      return consumer;
    };
    const send = async (round: string, count: number): Promise<string[]> => {
      const values: string[] = [];
      for (let i = 0; i < count; i++) {
        const topic = i % 4 === 3 ? commands : readings;
        const value = JSON.stringify({ round, i });
        values.push(value);
        await producer.send({
          topic,
          acks: -1,
          messages: [
            {
              key: `device-${i}`,
              value,
              headers: { traceparent: `00-${'1'.repeat(32)}-${String(i).padStart(16, '0')}-01` },
            },
          ],
        });
      }
      return values;
    };

    try {
      // Round 1: one consumer reads everything and commits as it goes.
      const firstValues = await send('first', 40);
      const first = await newConsumer();
      const firstReceived = await consume(first, firstValues.length, { timeoutMs: 30_000, settleMs: 1_000 });
      expect(firstReceived.map((m) => m.value).sort()).toEqual([...firstValues].sort());
      expect(
        new Set(firstReceived.filter((m) => m.topic === readings).map((m) => m.partition)).size,
      ).toBeGreaterThan(1);
      expect(firstReceived.every((m) => m.traceparent?.startsWith('00-'))).toBe(true);

      // Committed offsets equal each partition's end offset.
      for (const topic of [readings, commands]) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const committedByPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
        for (const end of ends) expect(committedByPartition.get(end.partition)).toBe(end.high);
      }

      // Leaving the group (LeaveGroup) must work against the mock.
      await first.disconnect();

      // Round 2: a new member of the same group gets only what was produced since. It must
      // join promptly: the group is Empty once its last member left, as on a real broker
      // (unpatched, the mock would hold the join for session.timeout.ms - 1 s = 29 s).
      const secondValues = await send('second', 12);
      const second = await newConsumer();
      const secondReceived = await consume(second, secondValues.length, {
        timeoutMs: 15_000,
        settleMs: 2_000,
      });
      expect(secondReceived.map((m) => m.value).sort()).toEqual([...secondValues].sort());
      await second.disconnect();
    } finally {
      for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('answers a fetch with every producer batch that fits, as a real broker does (patch 0002)', async () => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    // 50 produce requests of one message each to one partition, all written before anyone reads.
    for (let i = 0; i < 50; i++) await producer.send({ topic: dimming, messages: [{ key: 'lamp', value: `dim ${i}` }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'urbis-test-batches', allowAutoTopicCreation: false });
    const batches: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: dimming, fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => void batches.push(batch.messages.length) });
    try {
      await waitFor(() => batches.reduce((sum, n) => sum + n, 0) >= 50, 30_000, 'the 50 messages');
      // Unpatched, the mock returned one producer batch per fetch: 50 batches of 1.
      expect(batches[0]).toBeGreaterThan(1);
      expect(batches.length).toBeLessThan(10);
    } finally {
      await consumer.disconnect();
    }
  });

  it('stops cleanly, removes the bootstrap file, and stop() is idempotent', async () => {
    await broker?.stop();
    expect(existsSync(bootstrapFile)).toBe(false);
    await expect(broker?.stop()).resolves.toBeUndefined();
  });
});

describe('startDevKafka errors', () => {
  beforeAll(() => buildDevKafka(), 300_000);

  it('tells how to build the binary when it is missing', async () => {
    await expect(
      startDevKafka({ topics: [], binaryPath: path.join(tmpdir(), 'no-such-dir', 'dev-kafka') }),
    ).rejects.toThrow('run tools/dev-kafka/build.sh');
  });

  it("surfaces the broker's own error when it cannot start", async () => {
    await expect(startDevKafka({ topics: ['not a valid topic'] })).rejects.toThrow(/invalid topic name/);
  });
});
