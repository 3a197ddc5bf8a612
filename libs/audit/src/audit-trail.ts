import type { ServiceName } from '@urbis/contracts';
import { enqueueEvent, type EventPublisher, messageKeyOf, type SqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';

import { type AuditEvent, type AuditInput, auditEvent } from './audit-record';

export interface AuditTrailOptions {
  /** The service the records come from. */
  source: ServiceName;
  publisher: EventPublisher;
  logger: Logger;
  /** Default aggregation window for `record(..., { aggregate })`. Default 5000 ms. */
  windowMs?: number;
  /** At most this many open aggregation windows; beyond, occurrences are published one by one. Default 10,000. */
  maxWindows?: number;
}

export interface RecordOptions {
  /**
   * Occurrences with the same key within the window become one record: the first is published
   * at once, the rest are counted and published as one record (`details.count`) when the window
   * closes. A flood of refusals must not become a flood of audit records, yet security must see
   * how many there were within seconds, to raise an incident.
   */
  aggregate?: { key: string; windowMs?: number };
}

interface Window {
  input: AuditInput;
  count: number;
  firstAt: Date;
  lastAt: Date;
  timer: NodeJS.Timeout;
}

/**
 * The one way a service emits audit records. `record` publishes directly (facts that have no
 * transaction of their own: refusals, rejected messages); `enqueue` writes the record into the
 * service's outbox in the caller's transaction (facts that are state changes: a credential
 * issued, a policy changed), so the record exists exactly when the change does.
 */
export class AuditTrail {
  private readonly windows = new Map<string, Window>();
  private readonly pending = new Set<Promise<void>>();
  private readonly windowMs: number;
  private readonly maxWindows: number;
  private closed = false;

  constructor(private readonly options: AuditTrailOptions) {
    this.windowMs = options.windowMs ?? 5000;
    this.maxWindows = options.maxWindows ?? 10_000;
  }

  /** The event for `input`, e.g. to add it to a batch of outbox writes. */
  event(input: AuditInput): AuditEvent {
    return auditEvent(this.options.source, input);
  }

  /** Writes the record into the outbox within `tx`. */
  async enqueue(tx: SqlExecutor, input: AuditInput): Promise<void> {
    const event = this.event(input);
    await enqueueEvent(tx, 'security.audit.recorded.v1', event, { key: messageKeyOf('security.audit.recorded.v1', event) });
  }

  /** Publishes the record now (never throws; a failed publish is logged). */
  record(input: AuditInput, options: RecordOptions = {}): void {
    const aggregate = options.aggregate;
    if (!aggregate || this.closed) return this.publish(input);
    const window = this.windows.get(aggregate.key);
    const now = input.at ?? new Date();
    if (window) {
      window.count += 1;
      window.lastAt = now;
      window.input = input;
      return;
    }
    if (this.windows.size >= this.maxWindows) return this.publish(input);
    this.publish({ ...input, details: { ...input.details, count: 1 } });
    this.open(aggregate.key, input, now, aggregate.windowMs ?? this.windowMs);
  }

  /** Publishes what open windows have counted and waits for every publish (on shutdown, before the producer closes). */
  async flush(): Promise<void> {
    this.closed = true;
    for (const [key, window] of this.windows) {
      clearTimeout(window.timer);
      this.windows.delete(key);
      if (window.count > 0) this.publish(this.summary(window));
    }
    await Promise.all([...this.pending]);
  }

  private open(key: string, input: AuditInput, at: Date, windowMs: number): void {
    const timer = setTimeout(() => this.close(key, windowMs), windowMs);
    timer.unref();
    this.windows.set(key, { input, count: 0, firstAt: at, lastAt: at, timer });
  }

  private close(key: string, windowMs: number): void {
    const window = this.windows.get(key);
    if (!window) return;
    this.windows.delete(key);
    if (window.count === 0) return;
    this.publish(this.summary(window));
    // Still flooding: keep counting into a new window, so a steady flood is one record per window.
    this.open(key, window.input, window.lastAt, windowMs);
  }

  private summary(window: Window): AuditInput {
    return {
      ...window.input,
      at: window.lastAt,
      details: { ...window.input.details, count: window.count, firstAt: window.firstAt.toISOString(), lastAt: window.lastAt.toISOString() },
    };
  }

  private publish(input: AuditInput): void {
    let event: AuditEvent;
    try {
      event = this.event(input);
    } catch (error) {
      // A malformed record is a bug in the caller; it must not fail the request it describes.
      this.options.logger.error({ err: error, action: input.action }, 'audit record invalid; not published');
      return;
    }
    const sent: Promise<void> = this.options.publisher
      .publish('security.audit.recorded.v1', [event], { key: messageKeyOf('security.audit.recorded.v1', event) })
      .then(
        () => undefined,
        (error: unknown) => this.options.logger.error({ err: error, action: input.action }, 'audit record not published'),
      )
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }
}
