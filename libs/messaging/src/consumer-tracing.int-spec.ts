// The consumer's tracing with the services' real telemetry (OTel SDK) against the dev broker:
// events that arrive in one batch, each produced in its own trace, are each handled in a `process` span of that trace, and what a handler enqueues for
// an event (outbox rows) continues the event's trace, not the batch's.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type EventOf } from '@urbis/contracts';
import { shutdownTelemetry, startTelemetry } from '@urbis/observability';
import { type DevKafka, startDevKafka } from '@urbis/testing';
import { outboxInsertOf } from './batch-outbox';
import { EventConsumer, traceContextOf } from './consumer';
import { EventPublisher, encodeEvent } from './publisher';
import { testKafka, waitFor } from './test-support/harness.test-helpers';

const spans = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(spans);
startTelemetry({ serviceName: 'consumer-tracing', spanProcessors: [processor] });

jest.setTimeout(60_000);

const TOPIC = 'connectivity.uplink.received.v1';
type Uplink = EventOf<typeof TOPIC>;
const uplink = (deviceId: string) => ({
  deviceId,
  transport: 'mqtt' as const,
  receivedAt: new Date().toISOString(),
  payload: Buffer.from(deviceId).toString('base64'),
});

describe('EventConsumer tracing (real OTel SDK, dev broker)', () => {
  let broker: DevKafka;
  let publisher: EventPublisher;
  let consumer: EventConsumer | undefined;

  beforeAll(async () => {
    broker = await startDevKafka({ topics: [TOPIC], brokers: 1, partitions: 1, groupInitialRebalanceDelayMs: 100 });
    publisher = new EventPublisher({ kafka: testKafka(broker.bootstrapServers) });
    await publisher.connect();
  });
  afterAll(async () => {
    await consumer?.stop();
    await publisher?.disconnect();
    await broker?.stop();
    await shutdownTelemetry();
  });

  it('handles each event of a batch in its producer’s trace, and enqueues what it causes in that trace', async () => {
    const tracer = trace.getTracer('consumer-tracing-test');
    const readings = ['lamp-1', 'lamp-2', 'lamp-3'].map((deviceId) => {
      const span = tracer.startSpan(`reading ${deviceId}`, { kind: SpanKind.PRODUCER });
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), headers);
      span.end();
      return { deviceId, span, headers };
    });
    // One produce request: the consumer gets the three in one batch.
    await publisher.publishAll(
      readings.map(({ deviceId, headers }) => ({
        topic: TOPIC,
        key: `demo/${deviceId}`,
        event: encodeEvent(TOPIC, { tenant: 'demo', source: 'connectivity', payload: uplink(deviceId) }),
        headers,
      })),
    );

    const handled: { event: Uplink; traceparent: string | undefined; rowHeaders: Record<string, string> }[] = [];
    let batches = 0;
    consumer = new EventConsumer({
      kafka: testKafka(broker.bootstrapServers),
      groupId: 'consumer-tracing',
      subscriptions: {
        [TOPIC]: async (events: readonly Uplink[]) => {
          batches++;
          // As a service's handler does: one outbox statement for the batch, each row in its event's trace.
          const insert = outboxInsertOf(
            events.map((event) => ({ topic: TOPIC, event, key: `demo/${event.payload.deviceId}`, trace: traceContextOf(event) })),
          );
          const rows = JSON.parse(String(insert?.values[4])) as Record<string, string>[];
          events.forEach((event, i) => {
            const own = traceContextOf(event);
            const headers: Record<string, string> = {};
            if (own) propagation.inject(own, headers);
            handled.push({ event, traceparent: headers['traceparent'], rowHeaders: rows[i] ?? {} });
          });
        },
      },
    });
    await consumer.start();
    await waitFor(() => handled.length === 3, 30_000, 'the three events handled');
    await processor.forceFlush();

    expect(batches).toBe(1);
    const processSpans = spans.getFinishedSpans().filter((span) => span.name === `process ${TOPIC}` && span.instrumentationScope.name === '@urbis/messaging');
    for (const reading of readings) {
      const { traceId, spanId } = reading.span.spanContext();
      const mine = handled.find((entry) => entry.event.payload.deviceId === reading.deviceId);
      const span = processSpans.find((candidate) => candidate.attributes['messaging.message.id'] === mine?.event.id);
      // The process span is a child of the reading's span, in the reading's trace.
      expect(span?.kind).toBe(SpanKind.CONSUMER);
      expect(span?.spanContext().traceId).toBe(traceId);
      expect(span?.parentSpanContext?.spanId).toBe(spanId);
      // What the handler enqueued for the event continues from that span.
      expect(mine?.traceparent).toBe(`00-${traceId}-${span?.spanContext().spanId}-01`);
      expect(mine?.rowHeaders['traceparent']).toBe(mine?.traceparent);
      // Outside the handler call the event has no trace of its own any more.
      expect(mine && traceContextOf(mine.event)).toBeUndefined();
    }
  });
});
