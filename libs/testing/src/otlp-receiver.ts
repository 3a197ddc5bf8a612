// An OTLP/HTTP trace receiver: services started with OTEL_EXPORTER_OTLP_ENDPOINT=<url> export
// their spans here, and a test (or the local stack) reads them back as one flat list per trace.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as received, its resource's `service.name` attached. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export interface OtlpReceiver {
  /** For `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporters add `/v1/traces`). */
  readonly url: string;
  spans(): ReceivedSpan[];
  /** Every span of one trace, in start order. */
  trace(traceId: string): ReceivedSpan[];
  clear(): void;
  stop(): Promise<void>;
}

export interface OtlpReceiverOptions {
  port?: number;
  host?: string;
  /** The oldest spans are forgotten beyond this. Default 200,000. */
  maxSpans?: number;
}

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface ExportTraceServiceRequest {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function valueOf(value: OtlpValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue) return attributesOf(value.kvlistValue.values);
  return undefined;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/** OTLP/JSON ids are hex; some exporters send base64 (the protobuf JSON mapping). */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

/** The spans of one OTLP/HTTP JSON export request (`ExportTraceServiceRequest`). */
export function spansOfExport(request: ExportTraceServiceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? 'unknown');
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const parent = hexId(span.parentSpanId);
        spans.push({
          service,
          traceId: hexId(span.traceId) ?? '',
          spanId: hexId(span.spanId) ?? '',
          ...(parent && { parentSpanId: parent }),
          name: span.name,
          kind: span.kind ?? 0,
          startTimeUnixNano: BigInt(span.startTimeUnixNano),
          endTimeUnixNano: BigInt(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes),
          links: (span.links ?? []).map((link) => ({ traceId: hexId(link.traceId) ?? '', spanId: hexId(link.spanId) ?? '' })),
          statusCode: span.status?.code ?? 0,
        });
      }
    }
  }
  return spans;
}

/** By start time; a parent before the children that started in the same nanosecond. */
function inStartOrder(a: ReceivedSpan, b: ReceivedSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  if (b.parentSpanId === a.spanId) return -1;
  if (a.parentSpanId === b.spanId) return 1;
  return 0;
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const toJson = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

/**
 * Listens for `POST /v1/traces` in OTLP/HTTP JSON (what `@opentelemetry/exporter-trace-otlp-http`
 * sends; protobuf bodies are refused with 415 so a misconfigured exporter is noticed), and serves
 * what it holds: `GET /traces` (the latest traces, with their services) and `GET /traces/<id>`.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const maxSpans = options.maxSpans ?? 200_000;
  let spans: ReceivedSpan[] = [];

  const reply = (response: ServerResponse, status: number, body: string, type = 'application/json') => {
    response.writeHead(status, { 'content-type': type }).end(body);
  };
  const summaries = () => {
    const traces = new Map<string, { traceId: string; services: Set<string>; spans: number; root?: string; start: bigint }>();
    for (const span of spans) {
      const trace = traces.get(span.traceId) ?? { traceId: span.traceId, services: new Set(), spans: 0, start: span.startTimeUnixNano };
      trace.services.add(span.service);
      trace.spans++;
      if (!span.parentSpanId) trace.root = `${span.service}: ${span.name}`;
      if (span.startTimeUnixNano < trace.start) trace.start = span.startTimeUnixNano;
      traces.set(span.traceId, trace);
    }
    return [...traces.values()]
      .sort((a, b) => (b.start > a.start ? 1 : b.start < a.start ? -1 : 0))
      .map((trace) => ({
        traceId: trace.traceId,
        start: new Date(Number(trace.start / 1_000_000n)).toISOString(),
        services: [...trace.services].sort(),
        spans: trace.spans,
        ...(trace.root && { root: trace.root }),
      }));
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    if (request.method === 'POST' && url.pathname === '/v1/traces') {
      const type = request.headers['content-type'] ?? '';
      if (!type.includes('json')) {
        request.resume();
        return reply(response, 415, JSON.stringify({ error: 'this receiver takes OTLP/HTTP JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)' }));
      }
      readBody(request)
        .then((raw) => {
          const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          spans.push(...spansOfExport(JSON.parse(body.toString('utf8')) as ExportTraceServiceRequest));
          if (spans.length > maxSpans) spans = spans.slice(spans.length - maxSpans);
          reply(response, 200, '{}');
        })
        .catch((error: unknown) => reply(response, 400, JSON.stringify({ error: String(error) })));
      return;
    }
    if (request.method === 'GET' && url.pathname === '/traces') {
      const services = Number(url.searchParams.get('minServices') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 20);
      return reply(response, 200, toJson(summaries().filter((t) => t.services.length >= services).slice(0, limit)));
    }
    const one = /^\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
    if (request.method === 'GET' && one?.[1]) {
      const trace = spans.filter((span) => span.traceId === one[1]).sort(inStartOrder);
      return reply(response, trace.length ? 200 : 404, toJson(trace));
    }
    request.resume();
    reply(response, 404, JSON.stringify({ error: 'POST /v1/traces, GET /traces, GET /traces/<traceId>' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    spans: () => [...spans],
    trace: (traceId) => spans.filter((span) => span.traceId === traceId).sort(inStartOrder),
    clear: () => void (spans = []),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
