import { trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { currentTelemetry, shutdownTelemetry, startTelemetry, telemetryOptionsFromEnv } from './telemetry';

describe('telemetryOptionsFromEnv', () => {
  it('exports nothing unless an OTLP endpoint or an exporter is configured', () => {
    expect(telemetryOptionsFromEnv({})).toEqual({ serviceName: undefined, tracesExporters: [], disabled: false });
    expect(telemetryOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracesExporters).toEqual(['otlp']);
    expect(telemetryOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).tracesExporters).toEqual([
      'otlp',
    ]);
  });

  it('reads OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME and OTEL_SDK_DISABLED', () => {
    expect(
      telemetryOptionsFromEnv({
        OTEL_TRACES_EXPORTER: 'console, otlp',
        OTEL_SERVICE_NAME: 'connectivity',
        OTEL_SDK_DISABLED: 'TRUE',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    ).toEqual({ serviceName: 'connectivity', tracesExporters: ['console', 'otlp'], disabled: true });
    expect(telemetryOptionsFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracesExporters).toEqual([
      'none',
    ]);
  });

  it('rejects an exporter it does not know', () => {
    expect(() => telemetryOptionsFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/unsupported exporter "zipkin"/);
  });
});

/** Keeps what it exported after shutdown (InMemorySpanExporter forgets on shutdown). */
class RecordingExporter implements SpanExporter {
  readonly names: string[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.names.push(...spans.map((span) => span.name));
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('startTelemetry', () => {
  afterEach(() => shutdownTelemetry());

  it('is safe to call twice: the second call returns the running telemetry', () => {
    const first = startTelemetry({ instrumentations: [] });
    const second = startTelemetry({ instrumentations: [], disabled: true });
    expect(second).toBe(first);
    expect(currentTelemetry()).toBe(first);
  });

  it('records spans with ids even without an exporter, so logs and Kafka headers carry them', () => {
    startTelemetry({ instrumentations: [], tracesExporters: [] });
    const span = trace.getTracer('test').startSpan('no exporter');
    expect(span.isRecording()).toBe(true);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    span.end();
  });

  it('flushes on shutdown and can start again afterwards', async () => {
    const exporter = new RecordingExporter();
    // A batch that would wait an hour: only the flush on shutdown can export the span.
    startTelemetry({ instrumentations: [], spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000 })] });
    trace.getTracer('test').startSpan('before shutdown').end();
    expect(exporter.names).toEqual([]);
    await shutdownTelemetry();
    expect(exporter.names).toEqual(['before shutdown']);
    expect(currentTelemetry()).toBeUndefined();

    const again = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor(again);
    startTelemetry({ instrumentations: [], spanProcessors: [processor] });
    trace.getTracer('test').startSpan('after restart').end();
    await processor.forceFlush();
    expect(again.getFinishedSpans().map((span) => span.name)).toEqual(['after restart']);
  });

  it('starts nothing when disabled', () => {
    const telemetry = startTelemetry({ disabled: true });
    expect(telemetry.enabled).toBe(false);
    expect(trace.getTracer('test').startSpan('dropped').isRecording()).toBe(false);
  });
});
