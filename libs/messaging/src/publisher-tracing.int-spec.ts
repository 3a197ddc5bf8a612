// The publisher's telemetry with the services' real OTel SDK, as @urbis/observability starts it,
// against the dev broker: one `send` span per produce request, each message keeps the trace context
// it was given inside a shared request, and every Kafka request is measured.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createEvent } from '@urbis/contracts';
import { renderMetrics, shutdownTelemetry, startTelemetry } from '@urbis/observability';
import { type DevKafka, startDevKafka } from '@urbis/testing';
import { EventPublisher, encodeEvent } from './publisher';
import { readTopic, testKafka } from './test-support/harness.test-helpers';

const spans = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(spans);
startTelemetry({ serviceName: 'publisher-tracing', spanProcessors: [processor] });

jest.setTimeout(60_000);

const TOPIC = 'connectivity.uplink.received.v1';
const uplink = (deviceId: string) => ({
  deviceId,
  transport: 'mqtt' as const,
  receivedAt: new Date().toISOString(),
  payload: Buffer.from(deviceId).toString('base64'),
});
const header = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined =>
  value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);

describe('EventPublisher telemetry (real OTel SDK, dev broker)', () => {
  let broker: DevKafka;
  let publisher: EventPublisher;

  beforeAll(async () => {
    broker = await startDevKafka({
      topics: [TOPIC],
      brokers: 1,
      partitions: 1,
      groupInitialRebalanceDelayMs: 100,
    });
    publisher = new EventPublisher({ kafka: testKafka(broker.bootstrapServers) });
    await publisher.connect();
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await broker?.stop();
    await shutdownTelemetry();
  });

  it('sends one span per produce request and keeps each message in its own trace', async () => {
    const tracer = trace.getTracer('publisher-tracing-test');
    const reading = tracer.startSpan('a reading', { kind: SpanKind.PRODUCER });
    const readingHeaders: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), reading), readingHeaders);
    const caller = tracer.startSpan('the caller');
    await context.with(trace.setSpan(context.active(), caller), () =>
      publisher.publishAll([
        {
          topic: TOPIC,
          key: 'demo/with-own-trace',
          event: encodeEvent(TOPIC, {
            tenant: 'demo',
            source: 'connectivity',
            payload: uplink('with-own-trace'),
          }),
          headers: readingHeaders,
        },
        {
          topic: TOPIC,
          key: 'demo/without',
          event: createEvent(TOPIC, { tenant: 'demo', source: 'connectivity', payload: uplink('without') }),
        },
      ]),
    );
    reading.end();
    caller.end();
    await processor.forceFlush();

    const producerSpans = spans.getFinishedSpans().filter((span) => span.kind === SpanKind.PRODUCER);
    const sends = producerSpans.filter((span) => span.name === `send ${TOPIC}`);
    // One span for the request, none per message.
    expect(sends).toHaveLength(1);
    const [send] = sends;
    expect(send?.instrumentationScope.name).toBe('@urbis/messaging');
    expect(send?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.batch.message_count': 2,
    });
    expect(send?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(send?.spanContext().traceId).toBe(caller.spanContext().traceId);

    const messages = await readTopic(testKafka(broker.bootstrapServers), TOPIC, 2, { settleMs: 0 });
    const traceparentOf = (key: string) =>
      header(messages.find((message) => message.key?.toString() === key)?.headers?.['traceparent']);
    expect(traceparentOf('demo/with-own-trace')).toBe(readingHeaders['traceparent']);
    expect(traceparentOf('demo/without')).toBe(
      `00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`,
    );

    // The produce request (and the metadata requests before it), as the dashboards read them.
    const { body } = await renderMetrics();
    const produced = body
      .split('\n')
      .find((line) => line.startsWith('messaging_client_operation_duration_count{') && line.includes('messaging_operation_name="Produce"'));
    expect(produced).toMatch(/messaging_system="kafka"/);
    expect(produced).toMatch(/server_port="\d+"/);
    expect(Number(produced?.split(' ').pop())).toBeGreaterThanOrEqual(1);
  });
});
