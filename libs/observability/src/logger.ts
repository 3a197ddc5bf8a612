import type { LoggerService, LogLevel } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Written on every line as `service`. */
  readonly service: string;
  /** Lowest level written. Default `info`. */
  readonly level?: LevelWithSilent;
  /** Where lines go. Default: stdout. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream;
}

/** The ids of the active span, in the field names log backends correlate on. */
function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2),
  };
}

/**
 * The platform's logger: one JSON object per line with `time` (ISO 8601), `level` (its name),
 * `service`, `msg`, and `trace_id`/`span_id` of the span active when the line was written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

const NEST_TO_PINO: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

const looksLikeStack = (value: unknown): value is string => typeof value === 'string' && /\n\s+at /.test(value);

/**
 * Nest's own logs (bootstrap, routes, exceptions) through the platform logger:
 * `NestFactory.create(AppModule, adapter, { bufferLogs: true })`, then
 * `app.useLogger(new NestPinoLogger(logger))`. Nest passes its context (a class name) as the
 * last string argument; it becomes the `context` field.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('log', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('verbose', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /** Nest's log levels map onto pino's: the lowest one enabled becomes the pino level. */
  setLogLevels(levels: LogLevel[]): void {
    const lowestFirst: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
    const lowest = lowestFirst.find((level) => levels.includes(level));
    this.logger.level = lowest ? NEST_TO_PINO[lowest] : 'silent';
  }

  private write(level: LogLevel, message: unknown, optionalParams: unknown[]): void {
    const params = [...optionalParams];
    const fields: Record<string, unknown> = {};
    if (params.length && typeof params[params.length - 1] === 'string' && !looksLikeStack(params[params.length - 1])) {
      fields['context'] = params.pop();
    }
    if (level === 'error' || level === 'fatal') {
      const stackIndex = params.findIndex(looksLikeStack);
      if (stackIndex >= 0) fields['stack'] = params.splice(stackIndex, 1)[0];
    }
    const extra = params.filter((param) => param !== undefined);
    if (extra.length) fields['params'] = extra;

    const pinoLevel = NEST_TO_PINO[level];
    if (message instanceof Error) {
      this.logger[pinoLevel]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[pinoLevel]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[pinoLevel](fields, String(message));
    }
  }
}
