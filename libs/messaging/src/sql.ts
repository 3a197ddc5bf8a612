import { Pool, PoolClient } from 'pg';

/**
 * The two raw-SQL methods the messaging lib needs. A PrismaClient and a Prisma interactive-transaction
 * client both satisfy it, so the lib never depends on a service's generated client. Placeholders are
 * PostgreSQL's `$1, $2, ...`.
 */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Runs `fn` in one database transaction: commits when it resolves, rolls back when it throws. */
export interface TransactionRunner {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** What the lib uses of a PrismaClient: its interactive transactions. */
export interface PrismaTransactionClient {
  $transaction<R>(
    fn: (tx: SqlExecutor) => Promise<R>,
    options?: { timeout?: number; maxWait?: number },
  ): Promise<R>;
}

/** A TransactionRunner over a PrismaClient (`prisma.$transaction(async (tx) => ...)`). */
export function prismaTransactionRunner(
  prisma: PrismaTransactionClient,
  options?: { timeout?: number },
): TransactionRunner {
  return {
    transaction: (fn) => prisma.$transaction((tx) => fn(tx), { timeout: options?.timeout ?? 30_000 }),
  };
}

/** A `pg` pool or checked-out client as a SqlExecutor (a client runs inside its open transaction). */
export function clientExecutor(client: Pool | PoolClient): SqlExecutor {
  return {
    async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
      const result = await client.query(query, values);
      return result.rowCount ?? 0;
    },
    async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
      const result = await client.query(query, values);
      return result.rows as T;
    },
  };
}

/** A `pg` implementation of SqlExecutor and TransactionRunner, for tests and tools that do not use Prisma. */
export function pgSqlExecutor(pool: Pool): SqlExecutor & TransactionRunner {
  return {
    ...clientExecutor(pool),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(clientExecutor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is not returned to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}
