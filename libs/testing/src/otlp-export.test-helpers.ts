// Run in a child process by receivers.spec.ts (Jest cannot load the exporter's dynamic imports):
// exports a parent and a child span with the OTLP/HTTP exporter the services use, then prints their ids.
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

async function main(endpoint: string): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'probe' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
  });
  const tracer = provider.getTracer('receiver-test');
  const parent = tracer.startSpan('reading received');
  const child = tracer.startSpan('reading stored', { attributes: { 'urbis.device': 'aq-001', count: 3 } }, trace.setSpan(context.active(), parent));
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  console.log(JSON.stringify({ traceId: parent.spanContext().traceId, parentSpanId: parent.spanContext().spanId }));
}

void main(process.argv[2] ?? '');
