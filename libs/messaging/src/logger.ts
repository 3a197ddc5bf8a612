/**
 * The logger the messaging lib writes to. Structurally compatible with pino and NestJS loggers
 * wrapped in a small adapter; defaults to silence except errors on stderr.
 */
export interface MessagingLogger {
  error(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  debug(message: string, extra?: Record<string, unknown>): void;
}

/** Errors go to stderr as one JSON line; everything else is dropped. */
export const errorsOnlyLogger: MessagingLogger = {
  error: (message, extra) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', message, ...extra })}\n`),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
