// One trace across two processes: a producer in a child process (started like a service, telemetry
// first) and kafkajs consumers here, through the dev broker. Kafka carries the W3C trace context
// in the message headers; the kafkajs instrumentation writes it on send/sendBatch and reads it on
// eachMessage/eachBatch.
import { context, type SpanContext, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type DevKafka, startDevKafka, tsNodeArgs, tsNodeEnv } from '@urbis/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withMessageContext } from './kafka-context';
import { instrumentModule, shutdownTelemetry, startTelemetry } from './telemetry';
import type { ProducedSpan } from './trace-propagation-producer.test-helpers';

const spans = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(spans);
startTelemetry({ serviceName: 'trace-propagation-consumer', spanProcessors: [processor] });

// Jest loads modules through its own registry, which Node's require hook (how the
// instrumentations patch modules in a service) never sees: apply the kafkajs patch explicitly.
const { Kafka, logLevel } = instrumentModule('kafkajs', require('kafkajs') as typeof import('kafkajs'));
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;

const TOPIC = 'connectivity.uplink.received.v1';
const KEYS = ['via-send', 'via-sendBatch'];
const repoRoot = join(__dirname, '../../..');

interface Received {
  key: string;
  traceparent: string | undefined;
  /** The active span while the handler ran. */
  handlerContext: SpanContext | undefined;
}

async function runProducerProcess(bootstrapServers: string[]): Promise<ProducedSpan[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    tsNodeArgs(join(__dirname, 'trace-propagation-producer.test-helpers.ts'), [bootstrapServers.join(','), TOPIC]),
    { cwd: repoRoot, timeout: 60_000, env: { ...process.env, ...tsNodeEnv(), OTEL_SDK_DISABLED: 'false' } },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as ProducedSpan[];
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const header = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined =>
  value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);

describe('trace propagation through Kafka', () => {
  let broker: DevKafka;
  const consumers: Consumer[] = [];
  const viaEachMessage: Received[] = [];
  const viaEachBatch: Received[] = [];
  let produced: ProducedSpan[];

  beforeAll(async () => {
    broker = await startDevKafka({ topics: [TOPIC], brokers: 1, partitions: 1, groupInitialRebalanceDelayMs: 100 });
    const kafka = new Kafka({ clientId: 'trace-propagation-consumer', brokers: broker.bootstrapServers, logLevel: logLevel.NOTHING });
    const tracer = trace.getTracer('trace-propagation-consumer');

    const eachMessageConsumer = kafka.consumer({ groupId: `trace-each-message-${process.pid}`, maxWaitTimeInMs: 200 });
    const eachBatchConsumer = kafka.consumer({ groupId: `trace-each-batch-${process.pid}`, maxWaitTimeInMs: 200 });
    consumers.push(eachMessageConsumer, eachBatchConsumer);
    for (const consumer of consumers) {
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    }
    await eachMessageConsumer.run({
      eachMessage: async ({ message }) => {
        viaEachMessage.push({
          key: String(message.key),
          traceparent: header(message.headers?.['traceparent']),
          handlerContext: trace.getActiveSpan()?.spanContext(),
        });
      },
    });
    await eachBatchConsumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          // What libs/messaging does per message of a batch: handle it in the producer's trace.
          withMessageContext(message.headers, () =>
            tracer.startActiveSpan('handle uplink', (span) => {
              viaEachBatch.push({
                key: String(message.key),
                traceparent: header(message.headers?.['traceparent']),
                handlerContext: trace.getSpan(context.active())?.spanContext(),
              });
              span.end();
            }),
          );
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });

    produced = await runProducerProcess(broker.bootstrapServers);
    await until(() => viaEachMessage.length >= KEYS.length && viaEachBatch.length >= KEYS.length, 'both consumers');
    await processor.forceFlush();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
    await broker?.stop();
    await shutdownTelemetry();
  });

  const producerSpan = (key: string): ProducedSpan => {
    const span = produced.find((candidate) => candidate.key === key);
    if (!span) throw new Error(`the producer process reported no span for ${key}: ${JSON.stringify(produced)}`);
    return span;
  };
  const consumerSpans = (): ReadableSpan[] => spans.getFinishedSpans().filter((span) => span.kind === SpanKind.CONSUMER);

  it.each(KEYS)('the producer span of %s is a child of the active span and is in the message headers', (key) => {
    const sent = producerSpan(key);
    expect(sent.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    for (const received of [...viaEachMessage, ...viaEachBatch].filter((message) => message.key === key)) {
      expect(received.traceparent).toBe(`00-${sent.traceId}-${sent.spanId}-01`);
    }
  });

  it.each(KEYS)('eachMessage (%s): the consumer span is in the producer trace, parented to the producer span', (key) => {
    const sent = producerSpan(key);
    const processSpan = consumerSpans().find((span) => span.parentSpanContext?.spanId === sent.spanId);
    expect(processSpan).toBeDefined();
    expect(processSpan?.name).toBe(`process ${TOPIC}`);
    expect(processSpan?.spanContext().traceId).toBe(sent.traceId);
    expect(processSpan?.parentSpanContext?.isRemote).toBe(true);
    // The handler runs inside that span.
    const handled = viaEachMessage.find((message) => message.key === key);
    expect(handled?.handlerContext).toEqual(expect.objectContaining({ traceId: sent.traceId, spanId: processSpan?.spanContext().spanId }));
  });

  it.each(KEYS)('eachBatch (%s): the consumer span links to the producer span; the handler continues its trace', (key) => {
    const sent = producerSpan(key);
    const processSpan = consumerSpans().find((span) => span.links.some((link) => link.context.spanId === sent.spanId));
    expect(processSpan).toBeDefined();
    expect(processSpan?.links[0]?.context.traceId).toBe(sent.traceId);
    // The instrumentation starts each batch in a trace of its own (a `poll` span) ...
    const poll = spans.getFinishedSpans().find((span) => span.spanContext().spanId === processSpan?.parentSpanContext?.spanId);
    expect(poll?.name).toBe(`poll ${TOPIC}`);
    expect(processSpan?.spanContext().traceId).not.toBe(sent.traceId);
    // ... so the handler joins the producer's trace through withMessageContext.
    const handled = viaEachBatch.find((message) => message.key === key);
    expect(handled?.handlerContext?.traceId).toBe(sent.traceId);
    const handlerSpan = spans.getFinishedSpans().find((span) => span.spanContext().spanId === handled?.handlerContext?.spanId);
    expect(handlerSpan?.name).toBe('handle uplink');
    expect(handlerSpan?.parentSpanContext?.spanId).toBe(sent.spanId);
  });
});
