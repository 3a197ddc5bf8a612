import type { OutgoingEvent } from '@urbis/messaging';

/** The part of `EventPublisher` the batcher needs. */
export interface OutgoingEventSink {
  publishAll(outgoing: readonly OutgoingEvent[]): Promise<unknown>;
}

export interface UplinkBatcherOptions {
  /** How long the first queued event waits for others before the batch is sent. */
  lingerMs: number;
  /** A batch is sent as soon as it holds this many events. */
  maxBatch: number;
}

interface Pending {
  outgoing: OutgoingEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Sends events to Kafka in batches and tells each caller when *its* event was acknowledged by
 * all in-sync replicas. The producer allows one request in flight, so while a batch is on the
 * wire the next one fills up: throughput grows with load instead of latency. A failed batch
 * fails each of its callers (an MQTT client then gets no PUBACK, an HTTP client a 503); nothing
 * is acknowledged that Kafka did not acknowledge.
 */
export class UplinkBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Pending[] | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sink: OutgoingEventSink,
    private readonly options: UplinkBatcherOptions,
  ) {}

  /** Resolves once Kafka acknowledged the event; rejects when it could not be published. */
  send(outgoing: OutgoingEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ outgoing, resolve, reject });
      this.schedule();
    });
  }

  /** Events accepted by `send` and not yet settled. */
  get pending(): number {
    return this.queue.length + (this.sending?.length ?? 0);
  }

  /** Resolves once every event handed to `send` so far is settled (acknowledged or failed). */
  async drain(): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.sending) return; // the running send picks the queue up when it is done
    if (this.queue.length >= this.options.maxBatch || this.options.lingerMs === 0) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending || this.queue.length === 0) return;
    let batch: Pending[];
    if (this.queue.length <= this.options.maxBatch) {
      batch = this.queue;
      this.queue = [];
    } else {
      batch = this.queue.splice(0, this.options.maxBatch);
    }
    this.sending = batch;
    const outgoing = new Array<OutgoingEvent>(batch.length);
    for (let i = 0; i < batch.length; i++) outgoing[i] = (batch[i] as Pending).outgoing;
    void this.sink.publishAll(outgoing).then(
      () => this.settle(batch, undefined),
      (error: unknown) => this.settle(batch, error ?? new Error('publish failed')),
    );
  }

  private settle(batch: Pending[], error: unknown): void {
    for (const pending of batch) {
      if (error === undefined) pending.resolve();
      else pending.reject(error);
    }
    this.sending = undefined;
    // What queued up meanwhile goes at once: it has waited for a whole round trip already.
    if (this.queue.length > 0) this.flush();
    else this.idleWaiters.splice(0).forEach((wake) => wake());
  }
}
