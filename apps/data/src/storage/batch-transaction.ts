import type { SqlExecutor } from '@urbis/messaging';
import type { PoolClient } from 'pg';

/** A statement and its values (placeholders `$1`, `$2`, ...). */
export interface Statement {
  query: string;
  values: readonly unknown[];
}

/**
 * The transaction of one write batch, as the store and its change hooks use it. Besides running
 * statements now, it takes writes whose results nobody reads (`defer`): they reach the database
 * together, as one statement, before the transaction's next query and before it commits. A batch's
 * row, history, outbox and temporal writes are then one round trip instead of one each — the
 * round trips, not the rows, are what a group-committed batch of small changes waits on.
 */
export class BatchTransaction implements SqlExecutor {
  private deferred: Statement[] = [];

  constructor(private readonly client: PoolClient) {}

  /**
   * Queues a write (INSERT, UPDATE or DELETE without RETURNING). Queued writes run in queue
   * order's single statement, on one snapshot: a write must not depend on another queued write's
   * effect (each sees the rows as they were before all of them), and two must not change the same
   * row. Every `$` in the text must be a placeholder.
   */
  defer(query: string, ...values: unknown[]): void {
    this.deferred.push({ query, values });
  }

  async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    await this.flush();
    return (await this.client.query(query, values)).rows as T;
  }

  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    await this.flush();
    return (await this.client.query(query, values)).rowCount ?? 0;
  }

  /** Sends the queued writes (called before every query, and by the store before it commits). */
  async flush(): Promise<void> {
    if (this.deferred.length === 0) return;
    const { query, values } = combined(this.deferred);
    this.deferred = [];
    await this.client.query(query, values as unknown[]);
  }
}

/**
 * Several writes as one statement: all but the last become data-modifying CTEs (`WITH w0 AS (...)`),
 * which PostgreSQL always runs to completion, with their placeholders renumbered after the ones
 * before them.
 */
export function combined(statements: readonly Statement[]): Statement {
  if (statements.length === 1) return statements[0] as Statement;
  const values: unknown[] = [];
  const parts = statements.map(({ query, values: own }) => {
    if (/\$(?!\d)/.test(query)) throw new Error('a deferred write may use $ only in placeholders');
    if (/^\s*WITH\b/i.test(query)) throw new Error('a deferred write cannot have a WITH clause of its own');
    const offset = values.length;
    values.push(...own);
    return query.replace(/\$(\d+)/g, (_, n: string) => {
      const index = Number(n);
      if (index < 1 || index > own.length) throw new Error(`placeholder $${n} has no value`);
      return `$${index + offset}`;
    });
  });
  const last = parts.pop() as string;
  return { query: `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(',\n')}\n${last}`, values };
}
