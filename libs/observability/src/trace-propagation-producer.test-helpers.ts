// Child process of trace-propagation.int-spec.ts: a producer in a process of its own, started the
// way a service starts (telemetry first, kafkajs patched by Node's require hook). Publishes one
// message with `send` and one with `sendBatch`, each inside its own active span, and prints the
// kafkajs producer spans as one JSON line on stdout.
// Run: node -r @swc-node/register trace-propagation-producer.test-helpers.ts <brokers,...> <topic>
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { shutdownTelemetry, startTelemetry } from './telemetry';

const spans = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(spans);
startTelemetry({ serviceName: 'trace-propagation-producer', spanProcessors: [processor] });

// Required only now: the kafkajs instrumentation patches the module when it is first required.
const { Kafka, logLevel, Partitioners } = require('kafkajs') as typeof import('kafkajs');

export interface ProducedSpan {
  key: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
}

async function main(): Promise<void> {
  const [brokers = '', topic = ''] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'trace-propagation-producer', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const tracer = trace.getTracer('trace-propagation-producer');
  const value = JSON.stringify({ deviceId: 'aq-17', transport: 'mqtt', payload: 'AQID' });

  await tracer.startActiveSpan('publish via send', async (span) => {
    await producer.send({ topic, messages: [{ key: 'via-send', value }] });
    span.end();
  });
  await tracer.startActiveSpan('publish via sendBatch', async (span) => {
    await producer.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'via-sendBatch', value }] }] });
    span.end();
  });
  await producer.disconnect();
  await processor.forceFlush();

  const produced: ProducedSpan[] = spans
    .getFinishedSpans()
    .filter((span) => span.kind === SpanKind.PRODUCER)
    .map((span) => ({
      key: String(span.attributes['messaging.kafka.message.key']),
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
    }));
  process.stdout.write(`${JSON.stringify(produced)}\n`);
  await shutdownTelemetry();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
