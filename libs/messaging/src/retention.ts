import type { SqlExecutor } from './sql';
import { errorMessage, errorsOnlyLogger, type MessagingLogger } from './logger';

export interface MessagingRetention {
  /** Published outbox rows are kept this long (to look into), then deleted. */
  publishedOutboxMs: number;
  /**
   * Dedupe claims (`processed_event`) are kept this long: longer than any redelivery can come
   * (the topics' retention; a consumer group reset further back would reprocess).
   */
  processedEventsMs: number;
}

/** Rows deleted per statement: short transactions beside the service's own. */
const CHUNK = 5000;

/**
 * Deletes what the outbox and dedupe tables no longer need, a chunk at a time; resolves to the
 * rows deleted. Unpublished rows are never touched. Run periodically (`OutboxRelayModule` does),
 * or the two tables grow with every event a service ever published or consumed.
 */
export async function pruneMessagingTables(db: SqlExecutor, retention: MessagingRetention): Promise<{ outbox: number; processed: number }> {
  const outbox = await pruneInChunks(() =>
    db.$executeRawUnsafe(
      // created_at (BRIN) bounds the scan to old pages; published_at decides.
      `DELETE FROM outbox_event WHERE ctid IN (
         SELECT ctid FROM outbox_event
          WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
            AND published_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT ${CHUNK})`,
      retention.publishedOutboxMs,
    ),
  );
  const processed = await pruneInChunks(() =>
    db.$executeRawUnsafe(
      `DELETE FROM processed_event WHERE ctid IN (
         SELECT ctid FROM processed_event
          WHERE processed_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT ${CHUNK})`,
      retention.processedEventsMs,
    ),
  );
  return { outbox, processed };
}

async function pruneInChunks(deleteChunk: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteChunk();
    total += deleted;
    if (deleted < CHUNK) return total;
  }
}

/**
 * Runs `pruneMessagingTables` every `everyMs` (and once at start): a worker beside the outbox
 * relay. A failed round (database away) is logged and tried again next time.
 */
export class MessagingTablesPruner {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(
    private readonly options: {
      db: SqlExecutor;
      retention: MessagingRetention;
      everyMs?: number;
      logger?: MessagingLogger;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    const run = () => {
      this.round ??= this.pruneOnce().finally(() => (this.round = undefined));
    };
    this.timer = setInterval(run, this.options.everyMs ?? 60_000);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  isRunning(): boolean {
    return this.timer !== undefined;
  }

  private async pruneOnce(): Promise<void> {
    const logger = this.options.logger ?? errorsOnlyLogger;
    try {
      const deleted = await pruneMessagingTables(this.options.db, this.options.retention);
      if (deleted.outbox + deleted.processed > 0) logger.debug('pruned the outbox and dedupe tables', deleted);
    } catch (error) {
      logger.warn('pruning the outbox and dedupe tables failed; trying again later', { error: errorMessage(error) });
    }
  }
}
