import {
  type Context,
  context,
  Link,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { EventOf, TopicName } from '@urbis/contracts';
import { backoffDelay, BackoffOptions, sleep } from './backoff';
import { traceHeaders } from './batch-outbox';
import { errorMessage, errorsOnlyLogger, MessagingLogger } from './logger';
import { EventPublisher, OutgoingEvent, storedEvent, toTopicMessages } from './publisher';
import { SqlExecutor, TransactionRunner } from './sql';

/**
 * The outbox and dedupe tables. Each service's Prisma migrations create the same (the first two
 * indexes with the tables, the BRIN indexes of `pruneMessagingTables` later; Prisma does not model
 * partial or BRIN indexes, hence raw SQL in the migrations).
 */
export const OUTBOX_DDL = `CREATE TABLE outbox_event (
  seq          BIGSERIAL PRIMARY KEY,
  id           UUID NOT NULL UNIQUE,          -- the event id
  topic        TEXT NOT NULL,
  message_key  TEXT NOT NULL,
  event        JSONB NOT NULL,                -- the whole event: envelope + payload
  headers      JSONB NOT NULL DEFAULT '{}',   -- e.g. traceparent captured at enqueue time
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  published_at TIMESTAMPTZ
);
CREATE INDEX outbox_event_unpublished_idx ON outbox_event (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_event_created_brin ON outbox_event USING brin (created_at);
CREATE TABLE processed_event (
  consumer     TEXT NOT NULL,
  event_id     UUID NOT NULL,
  processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_event_processed_brin ON processed_event USING brin (processed_at);
`;

export interface EnqueueOptions {
  /** The message key; follow `TOPICS[topic].key` (see `messageKeyOf`). */
  key: string;
  /** The trace the event continues, when it is not the active one (see `OutboxItem.trace`). */
  trace?: Context;
}

/**
 * Records `event` for publication in the caller's transaction: it is published if and only if that
 * transaction commits. Validates the event first (a producer bug fails the business transaction, not
 * the relay later) and captures its trace context (`options.trace`, else the active one) into the
 * row's headers.
 */
export async function enqueueEvent<T extends TopicName>(
  tx: SqlExecutor,
  topic: T,
  event: EventOf<T>,
  options: EnqueueOptions,
): Promise<void> {
  const [validated] = toTopicMessages([{ topic, event, key: options.key } as OutgoingEvent]);
  const headers = traceHeaders(options.trace ?? context.active());
  await tx.$executeRawUnsafe(
    'INSERT INTO outbox_event (id, topic, message_key, event, headers) VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb)',
    event.id,
    topic,
    options.key,
    validated.messages[0].value,
    JSON.stringify(headers),
  );
}

interface OutboxRow {
  id: string;
  topic: TopicName;
  message_key: string;
  /** The event's JSON: validated when it was enqueued, sent as it is. */
  event: string;
  headers: Record<string, string> | null;
}

export interface OutboxRelayOptions {
  db: TransactionRunner;
  publisher: EventPublisher;
  /** Rows per transaction and per produce request. Default 100. */
  batchSize?: number;
  /** Idle poll interval when the outbox is empty, ms. Default 500. `nudge()` wakes the relay earlier. */
  pollIntervalMs?: number;
  /** Backoff after a failed batch (broker or database down). */
  errorBackoff?: BackoffOptions;
  /**
   * `strict` (default): one relay publishes at a time (transaction-scoped advisory lock), so rows reach
   * Kafka in `seq` order even with several instances running; the others stand by.
   * `parallel`: every instance publishes the rows it could lock (SKIP LOCKED): more throughput, but two
   * instances may interleave events of one key out of order.
   */
  ordering?: 'strict' | 'parallel';
  logger?: MessagingLogger;
}

/** Advisory lock key for strict ordering (any fixed bigint; one outbox table per database). */
const RELAY_LOCK_KEY = 0x0b715e1a7;

/**
 * Publishes outbox rows in `seq` order: in one transaction it locks a batch of unpublished rows
 * (FOR UPDATE SKIP LOCKED), publishes them through the idempotent producer, waits for the acks, marks
 * them published and commits. A crash between the ack and the commit republishes the batch: delivery
 * is at-least-once, and consumers dedupe on the event id.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly errorBackoff: BackoffOptions;
  private readonly logger: MessagingLogger;
  private running?: Promise<void>;
  private stopController = new AbortController();
  private wake?: () => void;
  private readonly tracer = trace.getTracer('@urbis/messaging');

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.errorBackoff = options.errorBackoff ?? { baseDelayMs: 200, maxDelayMs: 10_000, jitter: 0.2 };
    this.logger = options.logger ?? errorsOnlyLogger;
  }

  /** Starts the polling loop (the publisher must be connected). */
  start(): void {
    if (this.running) throw new Error('outbox relay already started');
    this.stopController = new AbortController();
    this.running = this.loop();
  }

  /** Stops polling; the batch in progress is published and committed first. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopController.abort();
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  isRunning(): boolean {
    return this.running !== undefined && !this.stopController.signal.aborted;
  }

  /** Wakes the relay now (call after committing a transaction that enqueued events). */
  nudge(): void {
    this.wake?.();
  }

  /** Publishes one batch; resolves to the number of rows published. */
  async relayOnce(): Promise<number> {
    return this.options.db.transaction(async (tx) => {
      if (this.options.ordering !== 'parallel') {
        const [lock] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(
          'SELECT pg_try_advisory_xact_lock($1::bigint) AS locked',
          RELAY_LOCK_KEY,
        );
        if (!lock?.locked) return 0;
      }
      const rows = await tx.$queryRawUnsafe<OutboxRow[]>(
        `SELECT id::text AS id, topic, message_key, event::text AS event, headers
           FROM outbox_event
          WHERE published_at IS NULL
          ORDER BY seq
          LIMIT $1::int
            FOR UPDATE SKIP LOCKED`,
        this.batchSize,
      );
      if (rows.length === 0) return 0;
      await this.publish(rows);
      await tx.$executeRawUnsafe(
        'UPDATE outbox_event SET published_at = now() WHERE id = ANY($1::uuid[])',
        rows.map((row) => row.id),
      );
      return rows.length;
    });
  }

  /**
   * One produce request for the whole batch, inside a span linked to each row's enqueue-time trace
   * (one batch carries many traces, so they are links, not parents).
   */
  private async publish(rows: OutboxRow[]): Promise<void> {
    const links: Link[] = [];
    for (const row of rows) {
      const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, row.headers ?? {}));
      if (spanContext) links.push({ context: spanContext });
    }
    await this.tracer.startActiveSpan(
      'outbox relay publish',
      { kind: SpanKind.INTERNAL, links },
      async (span) => {
        try {
          await this.options.publisher.publishAll(
            rows.map(
              (row) =>
                ({
                  topic: row.topic,
                  key: row.message_key,
                  event: storedEvent(row.topic, row.id, row.event),
                  headers: row.headers ?? {},
                }) as OutgoingEvent,
            ),
          );
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async loop(): Promise<void> {
    const signal = this.stopController.signal;
    let failures = 0;
    while (!signal.aborted) {
      let published = 0;
      try {
        published = await this.relayOnce();
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.error('outbox relay batch failed; will retry', { error: errorMessage(error), failures });
        await sleep(backoffDelay(failures, this.errorBackoff), signal);
        continue;
      }
      if (published < this.batchSize) await this.idle(signal);
    }
  }

  private idle(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wake = done;
      if (signal.aborted) done();
    });
  }
}
