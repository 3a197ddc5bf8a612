import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type Instrumentation, InstrumentationBase } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { registerRuntimeMetrics } from './runtime-metrics';

export type TracesExporterName = 'otlp' | 'console' | 'none';

export interface TelemetryOptions {
  /** `service.name` of every span and metric. Default: OTEL_SERVICE_NAME (read by the SDK's env detector). */
  readonly serviceName?: string;
  /**
   * Where spans go. Ignored when `spanProcessors` is given. An empty list (or `none`) still
   * records spans, so trace ids reach the logs and Kafka headers; they are just not exported.
   */
  readonly tracesExporters?: readonly TracesExporterName[];
  /** Replaces the exporter selection, e.g. `[new SimpleSpanProcessor(new InMemorySpanExporter())]` in tests. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Default: HTTP, NestJS core and pg (see `defaultInstrumentations`). */
  readonly instrumentations?: readonly Instrumentation[];
  /** Metric readers besides the Prometheus one that backs `renderMetrics()`. */
  readonly metricReaders?: readonly IMetricReader[];
  /** Start nothing (OTEL_SDK_DISABLED=true). */
  readonly disabled?: boolean;
}

/** The running telemetry; one per process. */
export interface Telemetry {
  /** False when telemetry was disabled: spans are not recorded and renderMetrics() is empty. */
  readonly enabled: boolean;
  /** Backs `renderMetrics()`; never listens on a port of its own. */
  readonly prometheus: PrometheusExporter | undefined;
  readonly instrumentations: readonly Instrumentation[];
}

const DISABLED: Telemetry = { enabled: false, prometheus: undefined, instrumentations: [] };

let running: { telemetry: Telemetry; sdk: NodeSDK | undefined } | undefined;

/** The instrumentations every service runs with. */
export function defaultInstrumentations(): Instrumentation[] {
  return [
    // Probes and scrapes would otherwise be most of the traces.
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => /^\/(metrics|health\/(live|ready))(\?|$)/.test(request.url ?? ''),
    }),
    new NestInstrumentation(),
    new PgInstrumentation({ requireParentSpan: true }),
    // No kafkajs instrumentation: @urbis/messaging traces Kafka itself (a `send` span per produce
    // request, a `process` span per event in its producer's trace, the trace context in the
    // headers) and measures its requests; the instrumentation added a span per message.
  ];
}

/**
 * Reads the standard OTEL_* variables this lib interprets itself. The SDK and the OTLP exporter
 * read the rest (OTEL_EXPORTER_OTLP_*, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*, ...).
 * Traces are exported over OTLP/HTTP only when an OTLP endpoint is configured, unless
 * OTEL_TRACES_EXPORTER says otherwise.
 */
export function telemetryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryOptions {
  const listed = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  for (const name of listed) {
    if (!['otlp', 'console', 'none'].includes(name)) {
      throw new Error(`OTEL_TRACES_EXPORTER: unsupported exporter "${name}" (supported: otlp, console, none)`);
    }
  }
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const tracesExporters: TracesExporterName[] = listed.length
    ? (listed as TracesExporterName[])
    : endpoint
      ? ['otlp']
      : [];
  return {
    serviceName: env['OTEL_SERVICE_NAME'] || undefined,
    tracesExporters,
    disabled: (env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true',
  };
}

function spanProcessorsFor(exporters: readonly TracesExporterName[]): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  if (!exporters.includes('none')) {
    if (exporters.includes('otlp')) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    if (exporters.includes('console')) processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  // A tracer provider must exist even without an exporter: it creates the ids that logs carry
  // and that Kafka message headers carry on.
  return processors.length ? processors : [new NoopSpanProcessor()];
}

/**
 * Starts the OpenTelemetry Node SDK: traces (W3C trace context and baggage propagation),
 * metrics for Prometheus, and the instrumentations, which patch modules as they are required;
 * modules required earlier stay unpatched (see `instrumentModule`). Idempotent: a second call
 * returns the running telemetry and ignores its options.
 */
export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  if (running) {
    diag.debug('startTelemetry: already started; the new options are ignored');
    return running.telemetry;
  }
  if (options.disabled) {
    running = { telemetry: DISABLED, sdk: undefined };
    return DISABLED;
  }
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const instrumentations = [...(options.instrumentations ?? defaultInstrumentations())];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations,
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    spanProcessors: [...(options.spanProcessors ?? spanProcessorsFor(options.tracesExporters ?? []))],
    metricReaders: [prometheus, ...(options.metricReaders ?? [])],
    // Logs go to stdout through pino (createLogger); no OTel log pipeline, and no default OTLP log exporter.
    logRecordProcessors: [],
  });
  sdk.start();
  registerRuntimeMetrics();
  const telemetry: Telemetry = { enabled: true, prometheus, instrumentations };
  running = { telemetry, sdk };
  return telemetry;
}

/** The running telemetry, if started. */
export function currentTelemetry(): Telemetry | undefined {
  return running?.telemetry;
}

/**
 * Flushes pending spans and metrics, then stops telemetry; a later startTelemetry() starts
 * afresh. Call it on shutdown (e.g. from a Nest `beforeApplicationShutdown` hook).
 */
export async function shutdownTelemetry(): Promise<void> {
  const stopping = running;
  running = undefined;
  if (!stopping?.sdk) return;
  try {
    await stopping.sdk.shutdown();
  } finally {
    for (const instrumentation of stopping.telemetry.instrumentations) instrumentation.disable();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  }
}

/**
 * Applies the running instrumentations to a module that did not go through Node's `require`
 * hook: Jest's module registry bypasses it, and so does a module required before
 * startTelemetry. Returns the same, now patched, exports.
 *
 * @example const pg = instrumentModule('pg', require('pg'));
 */
export function instrumentModule<T>(moduleName: string, moduleExports: T, moduleVersion?: string): T {
  let patched = moduleExports;
  for (const instrumentation of running?.telemetry.instrumentations ?? []) {
    if (!(instrumentation instanceof InstrumentationBase)) continue;
    for (const definition of instrumentation.getModuleDefinitions()) {
      if (definition.name === moduleName && definition.patch) {
        patched = definition.patch(patched, moduleVersion) as T;
      }
    }
  }
  return patched;
}
