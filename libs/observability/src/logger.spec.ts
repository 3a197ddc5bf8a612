import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { createLogger, NestPinoLogger } from './logger';
import { shutdownTelemetry, startTelemetry } from './telemetry';

function captureLines(): { lines: () => Record<string, unknown>[]; destination: Writable } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, destination };
}

describe('createLogger', () => {
  const spans = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(spans);

  beforeAll(() => {
    startTelemetry({ serviceName: 'logger-test', spanProcessors: [processor], instrumentations: [] });
  });
  afterAll(() => shutdownTelemetry());

  it('writes JSON lines carrying the trace and span id of the active span', async () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: 'devices', level: 'debug', destination });

    const { traceId, spanId } = trace.getTracer('test').startActiveSpan('decode uplink', (span) => {
      logger.info({ deviceId: 'aq-17' }, 'decoded');
      span.end();
      return span.spanContext();
    });
    logger.debug('outside any span');

    const [inside, outside] = lines();
    expect(inside).toMatchObject({
      level: 'info',
      service: 'devices',
      msg: 'decoded',
      deviceId: 'aq-17',
      trace_id: traceId,
      span_id: spanId,
      trace_flags: '01',
    });
    expect(typeof inside?.['time']).toBe('string');
    await processor.forceFlush();
    expect(spans.getFinishedSpans().map((span) => span.spanContext().spanId)).toContain(spanId);
    expect(outside).toMatchObject({ level: 'debug', msg: 'outside any span' });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('honours the configured level', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ service: 'devices', level: 'warn', destination });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines().map((line) => line['msg'])).toEqual(['kept']);
  });
});

describe('NestPinoLogger', () => {
  it("routes Nest's logs through pino, with Nest's context, stack and levels", () => {
    const { lines, destination } = captureLines();
    const nest = new NestPinoLogger(createLogger({ service: 'data', level: 'trace', destination }));

    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('Unhandled exception', 'Error: boom\n    at handler (app.ts:1:1)', 'ExceptionsHandler');
    nest.warn({ event: 'slow-consumer', lagMs: 1200 }, 'Consumer');
    nest.verbose('mapped route');
    nest.setLogLevels(['warn', 'error']);
    nest.log('filtered out');
    nest.error(new Error('db down'));

    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'Nest application successfully started', context: 'NestApplication' }),
      expect.objectContaining({
        level: 'error',
        msg: 'Unhandled exception',
        context: 'ExceptionsHandler',
        stack: expect.stringContaining('at handler'),
      }),
      expect.objectContaining({ level: 'warn', event: 'slow-consumer', lagMs: 1200, context: 'Consumer' }),
      expect.objectContaining({ level: 'trace', msg: 'mapped route' }),
      expect.objectContaining({ level: 'error', msg: 'db down', err: expect.objectContaining({ message: 'db down' }) }),
    ]);
  });
});
