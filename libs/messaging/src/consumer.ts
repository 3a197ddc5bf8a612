import { type Context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { dlqTopicOf, EventOf, isTopicName, TopicName } from '@urbis/contracts';
import { messageContext } from '@urbis/observability';
import { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { backoffDelay, BackoffOptions, sleep } from './backoff';
import { recordRequestDurations } from './client-metrics';
import { decodeEvent } from './decode';
import { buildDlqHeaders, DeadLetterKind } from './dlq';
import { errorMessage, errorsOnlyLogger, MessagingLogger } from './logger';
import { KeyHashPartitioner } from './partitioner';
import { isUnavailableError } from './unavailable';

/** Kafka metadata of one consumed event. */
export interface ConsumedRecord {
  offset: string;
  key: string | null;
  headers: IHeaders;
  /** Broker timestamp, ms since epoch as a string (kafkajs convention). */
  timestamp: string;
}

export interface EventBatchContext<T extends TopicName> {
  topic: T;
  partition: number;
  /** Kafka metadata of each event; `records[i]` belongs to `events[i]`. */
  records: readonly ConsumedRecord[];
  /** Keeps the group membership alive; the consumer also calls it periodically while the handler runs. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer is stopping; long handlers may use it to give up early (their events are redelivered). */
  signal: AbortSignal;
}

/**
 * Handles valid events of one topic-partition, in offset order. Called first with every valid event
 * of a fetched slice (up to `maxEventsPerCall`); if that call fails, the consumer falls back to one call
 * per event with retries, so a single poison event cannot block its neighbours. Either way a handler
 * may see an event more than once: make its effect idempotent (`claimEvent`, upserts).
 */
export type EventHandler<T extends TopicName> = (
  events: readonly EventOf<T>[],
  context: EventBatchContext<T>,
) => Promise<void>;

/** Handlers by topic. A key that is not a catalogue topic, or a handler of the wrong event type, does not compile. */
export type Subscriptions = { [T in TopicName]?: EventHandler<T> };

/** Thrown by a handler for an event that can never succeed: it is dead-lettered at once, without retries. */
export class PermanentEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

export interface RetryOptions extends BackoffOptions {
  /**
   * Attempts per event once the batch call failed (the first try included). Default 5. Failures
   * because a dependency is unreachable (`isUnavailableError`: the database restarting, ...) do
   * not count: the event waits for it, never dead-lettered for it.
   */
  attempts: number;
}

export interface BackpressureOptions {
  /**
   * Events fetched but not yet committed, across all partitions, above which the consumer pauses the
   * partition it is working on (it stops fetching it; the rest of its batch is dropped and fetched
   * again once resumed), and resumes it when in-flight events fell below half the bound. Default 5000.
   */
  maxInFlightEvents: number;
  /** A handler call slower than this pauses its partition for `cooldownMs`. Default 5000. */
  slowHandlerMs: number;
  /** How long a partition paused for a slow handler stays paused. Default 1000. */
  cooldownMs: number;
}

export interface EventConsumerOptions {
  kafka: Kafka;
  groupId: string;
  subscriptions: Subscriptions;
  logger?: MessagingLogger;
  /** Where a new group starts on a partition without committed offset. Default true (earliest): nothing published before the first deploy is skipped. */
  fromBeginning?: boolean;
  retry?: Partial<RetryOptions>;
  backpressure?: Partial<BackpressureOptions>;
  /** Largest event array handed to one handler call. Default 500. */
  maxEventsPerCall?: number;
  /** Topic-partitions processed at the same time (kafkajs `partitionsConsumedConcurrently`). Default 1. */
  partitionsConsumedConcurrently?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  maxBytesPerPartition?: number;
  /** Longest a fetch waits for data; also how long `stop()` may wait for an idle fetch. Default 1000. */
  maxWaitTimeInMs?: number;
}

export type ConsumerState =
  'idle' | 'starting' | 'joined' | 'restarting' | 'crashed' | 'stopping' | 'stopped';

export interface ConsumerHealth {
  groupId: string;
  state: ConsumerState;
  /** True only while the consumer is a member of its group and consuming. */
  ready: boolean;
  memberId?: string;
  lastError?: string;
  inFlightEvents: number;
  pausedPartitions: { topic: string; partitions: number[] }[];
}

const tracer = trace.getTracer('@urbis/messaging');

/** The trace context of each event being handled: its own `process` span, in its producer's trace. */
const handledContexts = new WeakMap<object, Context>();

/**
 * The trace an event handed to a handler belongs to: a `process <topic>` span of this service,
 * a child of the span that produced the event. Give it to what the event causes (an outbox item's
 * `trace`, a queued delivery) so that one reading stays one trace across services, although
 * handlers take events in batches.
 * Undefined outside a handler call.
 */
export function traceContextOf(event: object): Context | undefined {
  return handledContexts.get(event);
}

const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, jitter: 0.2 };
const DEFAULT_BACKPRESSURE: BackpressureOptions = {
  maxInFlightEvents: 5000,
  slowHandlerMs: 5000,
  cooldownMs: 1000,
};

interface DecodedRecord {
  message: KafkaMessage;
  event?: EventOf<TopicName>;
  invalidReason?: string;
}

/** The consumer is stopping: stop work on this partition without committing what was not finished. */
class StopRequested extends Error {}

/**
 * Typed batch consumer: validates every message before any handler sees it, dead-letters what is
 * invalid or keeps failing (`<topic>.dlq`, acked before the offset moves), commits offsets only after
 * the handler resolved, pauses partitions under pressure, and drains on `stop()`.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly dlqProducer: Producer;
  private readonly logger: MessagingLogger;
  private readonly retry: RetryOptions;
  private readonly pressure: BackpressureOptions;
  private readonly maxEventsPerCall: number;
  private readonly heartbeatEveryMs: number;
  private readonly topics: TopicName[];
  private state: ConsumerState = 'idle';
  private memberId?: string;
  private lastError?: string;
  private inFlight = 0;
  private readonly paused = new Map<string, { topic: string; partition: number; until: number }>();
  private resumeTimer?: NodeJS.Timeout;
  private stopController = new AbortController();
  private stopRequested = false;

  constructor(private readonly options: EventConsumerOptions) {
    this.logger = options.logger ?? errorsOnlyLogger;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.pressure = { ...DEFAULT_BACKPRESSURE, ...options.backpressure };
    this.maxEventsPerCall = options.maxEventsPerCall ?? 500;
    this.heartbeatEveryMs = options.heartbeatInterval ?? 3000;
    this.topics = Object.keys(options.subscriptions).filter(isTopicName);
    if (this.topics.length === 0) throw new Error(`consumer ${options.groupId} subscribes to no topic`);
    if (this.retry.attempts < 1) throw new RangeError('retry.attempts must be at least 1');

    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeout,
      heartbeatInterval: options.heartbeatInterval,
      rebalanceTimeout: options.rebalanceTimeout,
      maxBytesPerPartition: options.maxBytesPerPartition,
      // Also bounds how long stop() waits for an idle long-poll fetch to return.
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1000,
      allowAutoTopicCreation: false,
    });
    this.dlqProducer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: KeyHashPartitioner,
    });
    recordRequestDurations(this.consumer);
    recordRequestDurations(this.dlqProducer);

    // kafkajs on a crash: disconnects (emitting STOP), emits CRASH, and restarts unless the error is
    // not retriable; after a restart it emits GROUP_JOIN again. Only our own stop() means "stopped".
    const { GROUP_JOIN, CRASH, STOP } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.memberId = payload.memberId;
      if (!this.stopRequested) this.state = 'joined';
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.lastError = errorMessage(payload.error);
      this.logger.error('consumer crashed', {
        groupId: payload.groupId,
        error: this.lastError,
        restart: payload.restart,
      });
      if (!this.stopRequested) this.state = payload.restart ? 'restarting' : 'crashed';
    });
    this.consumer.on(STOP, () => {
      if (!this.stopRequested) this.state = 'restarting';
    });
  }

  /** Connects, subscribes and starts consuming; resolves before the group is joined (see `isRunning`). */
  async start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'stopped')
      throw new Error(`consumer ${this.options.groupId} is ${this.state}`);
    this.state = 'starting';
    this.stopRequested = false;
    this.stopController = new AbortController();
    await this.dlqProducer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.resumeTimer = setInterval(
      () => this.resumePaused(),
      Math.max(10, Math.min(100, this.pressure.cooldownMs)),
    );
    this.resumeTimer.unref();
  }

  /**
   * Drains: stops fetching, lets the handler call in progress finish and commits it, leaves the group,
   * disconnects. Retries waiting in backoff are cut short; their events stay uncommitted and are
   * redelivered to whoever owns the partition next. Call on SIGTERM.
   */
  async stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.stopRequested = true;
    this.stopController.abort();
    clearInterval(this.resumeTimer);
    try {
      await this.consumer.stop();
      await this.consumer.disconnect();
    } finally {
      await this.dlqProducer.disconnect();
      this.paused.clear();
      this.state = 'stopped';
    }
  }

  /** For readiness probes: true only while the consumer has joined its group (false when starting, crashed or stopped). */
  isRunning(): boolean {
    return this.state === 'joined';
  }

  health(): ConsumerHealth {
    const pausedByTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.paused.values()) {
      pausedByTopic.set(topic, [...(pausedByTopic.get(topic) ?? []), partition]);
    }
    return {
      groupId: this.options.groupId,
      state: this.state,
      ready: this.isRunning(),
      memberId: this.memberId,
      lastError: this.lastError,
      inFlightEvents: this.inFlight,
      pausedPartitions: [...pausedByTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    if (!isTopicName(topic)) throw new Error(`received a batch of unsubscribed topic ${topic}`);
    let pending = batch.messages.length;
    this.inFlight += pending;
    try {
      for (let start = 0; start < batch.messages.length; start += this.maxEventsPerCall) {
        if (!isRunning() || isStale()) return;
        const slice = batch.messages.slice(start, start + this.maxEventsPerCall);
        const startedAt = Date.now();
        const { doneOffset, stopped } = await this.processSlice(topic, partition, slice, heartbeat);
        if (doneOffset !== undefined) {
          resolveOffset(doneOffset);
          // Not consumer.commitOffsets(): kafkajs silently skips that once stop() was called, which
          // would lose the drain's last commit. With explicit offsets this always commits (or throws).
          await commitOffsetsIfNecessary({
            topics: [{ topic, partitions: [{ partition, offset: (BigInt(doneOffset) + 1n).toString() }] }],
          });
        }
        this.inFlight -= slice.length;
        pending -= slice.length;
        if (stopped) return;
        await heartbeat();

        const slow = Date.now() - startedAt > this.pressure.slowHandlerMs;
        if (
          (slow || this.inFlight > this.pressure.maxInFlightEvents) &&
          start + slice.length < batch.messages.length
        ) {
          this.pausePartition(topic, partition, slow ? 'slow handler' : 'too many in-flight events');
          return; // the rest of the batch is fetched again after resume
        }
        if (slow) this.pausePartition(topic, partition, 'slow handler');
      }
      if (this.inFlight > this.pressure.maxInFlightEvents)
        this.pausePartition(topic, partition, 'too many in-flight events');
    } finally {
      this.inFlight -= pending;
    }
  }

  /** Handles one slice; returns the highest offset whose message is fully dealt with (handled or dead-lettered). */
  private async processSlice(
    topic: TopicName,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<{ doneOffset?: string; stopped: boolean }> {
    const records: DecodedRecord[] = messages.map((message) => {
      const decoded = decodeEvent(topic, message.value);
      return decoded.ok ? { message, event: decoded.event } : { message, invalidReason: decoded.reason };
    });

    const invalid = records.filter((record) => record.invalidReason !== undefined);
    if (invalid.length > 0) {
      this.logger.warn('dead-lettering invalid messages', { topic, partition, count: invalid.length });
      await this.deadLetter(
        topic,
        partition,
        invalid.map((record) => ({
          message: record.message,
          kind: 'invalid',
          reason: record.invalidReason ?? '',
        })),
      );
    }

    const valid = records.filter(
      (record): record is DecodedRecord & { event: EventOf<TopicName> } => !!record.event,
    );
    const lastOffset = messages[messages.length - 1].offset;
    if (valid.length === 0) return { doneOffset: lastOffset, stopped: false };

    try {
      await this.callHandler(topic, partition, valid, heartbeat);
      return { doneOffset: lastOffset, stopped: false };
    } catch (error) {
      if (this.stopController.signal.aborted) {
        // The consumer is stopping and the handler gave up: nothing of this slice's events is known to be durable.
        return { doneOffset: this.offsetBefore(messages, valid[0].message.offset), stopped: true };
      }
      this.logger.warn('handler failed on a batch; retrying event by event', {
        topic,
        partition,
        events: valid.length,
        error: errorMessage(error),
      });
    }

    for (const record of valid) {
      try {
        await this.handleWithRetries(topic, partition, record, heartbeat);
      } catch (error) {
        if (error instanceof StopRequested) {
          return { doneOffset: this.offsetBefore(messages, record.message.offset), stopped: true };
        }
        throw error;
      }
    }
    return { doneOffset: lastOffset, stopped: false };
  }

  private async handleWithRetries(
    topic: TopicName,
    partition: number,
    record: DecodedRecord & { event: EventOf<TopicName> },
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let lastError: unknown;
    let unavailable = 0;
    for (let attempt = 1; attempt - unavailable <= this.retry.attempts; attempt++) {
      if (attempt > 1) {
        const slept = await sleep(backoffDelay(attempt - 1, this.retry), this.stopController.signal);
        if (!slept) throw new StopRequested();
        await heartbeat();
      }
      try {
        await this.callHandler(topic, partition, [record], heartbeat);
        return;
      } catch (error) {
        lastError = error;
        if (this.stopController.signal.aborted) throw new StopRequested();
        if (error instanceof PermanentEventError) {
          await this.deadLetter(topic, partition, [
            {
              message: record.message,
              kind: 'handler-failed',
              reason: `handler rejected the event: ${error.message}`,
              attempts: attempt,
            },
          ]);
          return;
        }
        if (isUnavailableError(error)) unavailable++;
        this.logger.warn('handler failed', {
          topic,
          partition,
          offset: record.message.offset,
          attempt,
          ...(isUnavailableError(error) && { waitingFor: 'a dependency to be reachable again' }),
          error: errorMessage(error),
        });
      }
    }
    this.logger.error('handler kept failing; dead-lettering the event', {
      topic,
      partition,
      offset: record.message.offset,
      eventId: record.event.id,
      error: errorMessage(lastError),
    });
    await this.deadLetter(topic, partition, [
      {
        message: record.message,
        kind: 'handler-failed',
        reason: `handler failed after ${this.retry.attempts} attempt(s): ${errorMessage(lastError)}`,
        attempts: this.retry.attempts,
      },
    ]);
  }

  private async callHandler(
    topic: TopicName,
    partition: number,
    records: readonly (DecodedRecord & { event: EventOf<TopicName> })[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const handler = this.options.subscriptions[topic] as EventHandler<TopicName> | undefined;
    if (!handler) throw new Error(`no handler for ${topic}`);
    // Keep the group membership alive while a long handler call runs.
    const keepAlive = setInterval(() => {
      heartbeat().catch((error: unknown) =>
        this.logger.debug('heartbeat during handler failed (rebalance?)', {
          topic,
          partition,
          error: errorMessage(error),
        }),
      );
    }, this.heartbeatEveryMs);
    const spans = records.map((record) => this.startProcessSpan(topic, partition, record));
    try {
      await handler(
        records.map((record) => record.event),
        {
          topic,
          partition,
          records: records.map(({ message }) => ({
            offset: message.offset,
            key: message.key ? message.key.toString() : null,
            headers: message.headers ?? {},
            timestamp: message.timestamp,
          })),
          heartbeat,
          signal: this.stopController.signal,
        },
      );
    } catch (error) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      clearInterval(keepAlive);
      for (const span of spans) span.end();
      for (const record of records) handledContexts.delete(record.event);
    }
  }

  /** The event's `process` span, a child of its producer's span (see `traceContextOf`). */
  private startProcessSpan(topic: TopicName, partition: number, record: DecodedRecord & { event: EventOf<TopicName> }): Span {
    const parent = messageContext(record.message.headers);
    const span = tracer.startSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': record.message.offset,
          'messaging.consumer.group.name': this.options.groupId,
          'messaging.message.id': record.event.id,
        },
      },
      parent,
    );
    handledContexts.set(record.event, trace.setSpan(parent, span));
    return span;
  }

  /** Writes messages to `<topic>.dlq` and waits for all replicas to ack, before any offset can move past them. */
  private async deadLetter(
    topic: TopicName,
    partition: number,
    entries: { message: KafkaMessage; kind: DeadLetterKind; reason: string; attempts?: number }[],
  ): Promise<void> {
    const failedAt = new Date();
    await this.dlqProducer.send({
      topic: dlqTopicOf(topic),
      acks: -1,
      messages: entries.map(({ message, kind, reason, attempts }) => ({
        key: message.key,
        value: message.value,
        headers: buildDlqHeaders(message.headers, {
          kind,
          reason,
          originalTopic: topic,
          partition,
          offset: message.offset,
          consumerGroup: this.options.groupId,
          failedAt,
          attempts,
        }),
      })),
    });
  }

  private offsetBefore(messages: KafkaMessage[], offset: string): string | undefined {
    const index = messages.findIndex((message) => message.offset === offset);
    return index > 0 ? messages[index - 1].offset : undefined;
  }

  /**
   * Pauses fetching a topic-partition. Paused for in-flight pressure: resumed as soon as in-flight
   * events fell below half the bound; paused for a slow handler: kept paused at least `cooldownMs`.
   */
  private pausePartition(
    topic: string,
    partition: number,
    reason: 'slow handler' | 'too many in-flight events',
  ): void {
    const key = `${topic}|${partition}`;
    if (!this.paused.has(key)) {
      this.logger.info('pausing partition', { topic, partition, reason, inFlight: this.inFlight });
      this.consumer.pause([{ topic, partitions: [partition] }]);
    }
    const until = reason === 'slow handler' ? Date.now() + this.pressure.cooldownMs : Date.now();
    this.paused.set(key, { topic, partition, until: Math.max(until, this.paused.get(key)?.until ?? 0) });
  }

  private resumePaused(): void {
    if (this.paused.size === 0 || this.inFlight > this.pressure.maxInFlightEvents / 2) return;
    const now = Date.now();
    for (const [key, { topic, partition, until }] of this.paused) {
      if (until > now) continue;
      this.paused.delete(key);
      this.logger.info('resuming partition', { topic, partition });
      this.consumer.resume([{ topic, partitions: [partition] }]);
    }
  }
}
