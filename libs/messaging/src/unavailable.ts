/** Node socket errors and PostgreSQL/Prisma codes that mean "the database (or another dependency) cannot be reached now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up, shutting down)
  '57P01',
  '57P02',
  '57P03',
  // Prisma: can't reach the server, timed out reaching it, server closed the connection, no connection from the pool in time
  'P1001',
  'P1002',
  'P1017',
  'P2024',
]);

/** What the drivers say when the code is lost on the way (Prisma's driver adapters pass some errors as text). */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|Can't reach database server|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|Server has closed the connection|connect ECONNREFUSED|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect/i;

/**
 * Whether a handler failed because a dependency is unreachable (a database restart, a failover, a
 * network cut) rather than because of the event: such a failure says nothing about the event, so
 * the consumer retries it until the dependency is back instead of dead-lettering it. Follows
 * `cause` chains; PostgreSQL's connection-exception class (SQLSTATE 08xxx) counts too.
 */
export function isUnavailableError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    current = cause;
  }
  return false;
}
