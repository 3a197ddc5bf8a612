// Retention of the outbox and dedupe tables against a real PostgreSQL: what is past its time
// goes, in chunks; what is not (and any unpublished row, however old) stays.
import { type TestDatabase, until } from '@urbis/testing';
import type { Pool } from 'pg';
import { MessagingTablesPruner, pruneMessagingTables } from './retention';
import { pgSqlExecutor } from './sql';
import { startDatabase } from './test-support/harness.test-helpers';

jest.setTimeout(60_000);

const HOUR_MS = 3_600_000;
const retention = { publishedOutboxMs: HOUR_MS, processedEventsMs: 24 * HOUR_MS };

describe('pruneMessagingTables', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    ({ db, pool } = await startDatabase('messaging_retention'));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** `count` outbox rows created `ageMs` ago, published then too unless `published` is false. */
  const outboxRows = (count: number, ageMs: number, published = true) =>
    pool.query(
      `INSERT INTO outbox_event (id, topic, message_key, event, created_at, published_at)
       SELECT gen_random_uuid(), 'devices.lifecycle.changed.v1', 'k', '{}', now() - make_interval(secs => $2 / 1000.0),
              CASE WHEN $3 THEN now() - make_interval(secs => $2 / 1000.0) END
         FROM generate_series(1, $1)`,
      [count, ageMs, published],
    );
  const claims = (count: number, ageMs: number) =>
    pool.query(
      `INSERT INTO processed_event (consumer, event_id, processed_at)
       SELECT 'devices.uplink-decoder', gen_random_uuid(), now() - make_interval(secs => $2 / 1000.0) FROM generate_series(1, $1)`,
      [count, ageMs],
    );
  const counts = async () => {
    const { rows } = await pool.query<{ outbox: number; unpublished: number; claims: number }>(
      `SELECT (SELECT count(*)::int FROM outbox_event) AS outbox,
              (SELECT count(*)::int FROM outbox_event WHERE published_at IS NULL) AS unpublished,
              (SELECT count(*)::int FROM processed_event) AS claims`,
    );
    return rows[0];
  };

  it('deletes published rows and claims past their retention, in chunks, and nothing else', async () => {
    await outboxRows(12_000, 2 * HOUR_MS); // published two hours ago: gone (more than two chunks)
    await outboxRows(30, 2 * HOUR_MS, false); // never published: stays, however old
    await outboxRows(40, 60_000); // published a minute ago: stays
    await claims(7_000, 2 * 24 * HOUR_MS); // two days old: gone
    await claims(50, HOUR_MS); // an hour old: stays

    const deleted = await pruneMessagingTables(pgSqlExecutor(pool), retention);

    expect(deleted).toEqual({ outbox: 12_000, processed: 7_000 });
    expect(await counts()).toEqual({ outbox: 70, unpublished: 30, claims: 50 });
    // A second round finds nothing.
    expect(await pruneMessagingTables(pgSqlExecutor(pool), retention)).toEqual({ outbox: 0, processed: 0 });
  });

  it('runs as a worker: a round at start, then every interval, until stopped', async () => {
    await outboxRows(10, 2 * HOUR_MS);
    const pruner = new MessagingTablesPruner({ db: pgSqlExecutor(pool), retention, everyMs: 100 });
    pruner.start();
    try {
      expect(pruner.isRunning()).toBe(true);
      await until(counts, (now) => now?.outbox === 70, { what: 'the old rows pruned at start' });
      await claims(5, 2 * 24 * HOUR_MS); // arrives later: the next round takes it
      await until(counts, (now) => now?.claims === 50, { what: 'the later claims pruned' });
    } finally {
      await pruner.stop();
    }
    expect(pruner.isRunning()).toBe(false);
  });
});

