import { type Context, context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createEvent, EventOf, TopicName, TOPICS, eventSchemaOf } from '@urbis/contracts';
import { Kafka, Message, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { recordRequestDurations } from './client-metrics';
import { describeIssues } from './decode';
import { errorsOnlyLogger, MessagingLogger } from './logger';
import { KeyHashPartitioner } from './partitioner';

/** Headers every published event carries, besides its trace context (`traceparent`, `tracestate`). */
export const EVENT_HEADERS = {
  contentType: 'content-type',
  eventType: 'event-type',
  eventId: 'event-id',
} as const;

const TRACEPARENT = 'traceparent';

export interface PublishOptions<T extends TopicName> {
  /**
   * The message key of each event. Follow the topic's convention in `TOPICS[topic].key`
   * (e.g. `<tenant>/<deviceId>`): the key picks the partition, so it is what keeps one device's
   * or one entity's events in order. `messageKeyOf` builds it from a template.
   */
  key: string | ((event: EventOf<T>) => string);
  /** Extra headers for every message of this call (e.g. a captured `traceparent`). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * An event built through its topic's schema and serialised, once: the publisher sends its JSON as
 * it is, without validating it again. Only `encodeEvent` makes one (the class itself is exported as
 * a type only), so holding one means the event passed its schema; and the JSON is a string, so
 * nothing can change the event afterwards.
 */
class EncodedEvent<T extends TopicName = TopicName> {
  constructor(
    readonly topic: T,
    readonly id: string,
    // private, so the type is nominal: a look-alike object literal is not an EncodedEvent
    private readonly value: string,
  ) {}

  /** The event as the JSON the publisher sends. */
  get json(): string {
    return this.value;
  }
}
export type { EncodedEvent };

/**
 * An event read back, as its JSON, from storage it entered validated: the outbox, whose rows only
 * `enqueueEvent(s)` write, after validating. The relay sends it as it is.
 */
export function storedEvent<T extends TopicName>(topic: T, id: string, json: string): EncodedEvent<T> {
  return new EncodedEvent(topic, id, json);
}

/** Whether `event` is an `EncodedEvent` (for code that takes events either way, like the outbox). */
export function isEncodedEvent(event: unknown): event is EncodedEvent {
  return event instanceof EncodedEvent;
}

/** What `createEvent` takes for a topic: tenant, source, payload, and optionally id and occurredAt. */
export type EventInput<T extends TopicName> = Parameters<typeof createEvent<T>>[1];

/**
 * Builds an event with `createEvent` (which validates it: a ZodError when it is not valid) and
 * serialises it. For producers on a hot path: the event is validated here, once, and the
 * publisher does not validate it again.
 */
export function encodeEvent<T extends TopicName>(topic: T, input: EventInput<T>): EncodedEvent<T> {
  const event = createEvent(topic, input);
  return new EncodedEvent(topic, event.id, JSON.stringify(event));
}

/**
 * One event bound for one topic, used to publish to several topics in one produce request. The
 * event is validated before it is sent, unless it is an `EncodedEvent` (validated when encoded).
 * `headers` may carry the event's own trace context (`traceparent`), which is then kept.
 */
export type OutgoingEvent = {
  [T in TopicName]: {
    topic: T;
    key: string;
    event: EventOf<T> | EncodedEvent<T>;
    headers?: Readonly<Record<string, string>>;
  };
}[TopicName];

/** A producer bug: an event that does not match its topic's schema. Nothing of the call was sent. */
export class InvalidEventError extends Error {
  constructor(readonly problems: readonly { index: number; topic: string; reason: string }[]) {
    super(
      `refusing to publish ${problems.length} invalid event(s): ` +
        problems.map((p) => `#${p.index} on ${p.topic}: ${p.reason}`).join(' | '),
    );
    this.name = 'InvalidEventError';
  }
}

export interface EventPublisherOptions {
  kafka: Kafka;
  logger?: MessagingLogger;
}

/**
 * Typed, validating, idempotent producer. Each `publish` call validates every event first (all or
 * nothing), then sends them as one produce request (one per broker) with acks from all in-sync
 * replicas; the idempotent producer with one request in flight keeps order per partition and
 * suppresses duplicates from its own retries.
 *
 * Tracing: one `send` span per produce request. Each message carries the trace context it was
 * given in its headers (a reading's own trace, a row's enqueue-time trace), else that of the send
 * span. Every request is measured in `messaging.client.operation.duration` (`recordRequestDurations`).
 */
export class EventPublisher {
  private readonly producer: Producer;
  private readonly logger: MessagingLogger;
  private readonly tracer = trace.getTracer('@urbis/messaging');
  private connected = false;

  constructor(options: EventPublisherOptions) {
    this.logger = options.logger ?? errorsOnlyLogger;
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client: a key lands on the same partition whoever publishes it.
      createPartitioner: KeyHashPartitioner,
    });
    recordRequestDurations(this.producer);
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Validates and publishes `events` on `topic`, in order, and resolves once all replicas acked them. */
  async publish<T extends TopicName>(
    topic: T,
    events: readonly EventOf<T>[],
    options: PublishOptions<T>,
  ): Promise<RecordMetadata[]> {
    const keyOf = typeof options.key === 'string' ? () => options.key as string : options.key;
    return this.publishAll(
      events.map((event) => ({ topic, event, key: keyOf(event), headers: options.headers }) as OutgoingEvent),
    );
  }

  /** Like `publish`, for events bound for several topics; one produce request per broker. */
  async publishAll(outgoing: readonly OutgoingEvent[]): Promise<RecordMetadata[]> {
    if (outgoing.length === 0) return [];
    const topic = outgoing[0].topic;
    const oneTopic = outgoing.every((item) => item.topic === topic);
    const span = this.tracer.startSpan(oneTopic ? `send ${topic}` : 'send', {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.batch.message_count': outgoing.length,
        ...(oneTopic && { 'messaging.destination.name': topic }),
      },
    });
    const sendContext = trace.setSpan(context.active(), span);
    try {
      const topicMessages = toTopicMessages(outgoing, sendContext);
      const metadata = await this.producer.sendBatch({ topicMessages, acks: -1 });
      this.logger.debug('published events', { count: outgoing.length });
      return metadata;
    } catch (error) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  }
}

/**
 * Validates every event (an `EncodedEvent` was validated when it was encoded) and groups them
 * into kafkajs topic messages, keeping the given order. A message whose headers carry no
 * `traceparent` gets the trace context of `traceContext`, when given.
 */
export function toTopicMessages(outgoing: readonly OutgoingEvent[], traceContext?: Context): TopicMessages[] {
  const problems: { index: number; topic: string; reason: string }[] = [];
  const byTopic = new Map<string, Message[]>();
  // Injected once for the call: every message without a trace context of its own shares it.
  const fallbackTrace: Record<string, string> = {};
  if (traceContext) propagation.inject(traceContext, fallbackTrace);
  outgoing.forEach(({ topic, event, key, headers }, index) => {
    if (!Object.prototype.hasOwnProperty.call(TOPICS, topic)) {
      problems.push({ index, topic, reason: 'not a catalogue topic' });
      return;
    }
    let id: string;
    let value: string;
    if (event instanceof EncodedEvent) {
      if (event.topic !== topic) {
        problems.push({ index, topic, reason: `encoded for ${event.topic}` });
        return;
      }
      id = event.id;
      value = event.json;
    } else {
      const result = eventSchemaOf(topic).safeParse(event);
      if (!result.success) {
        problems.push({ index, topic, reason: describeIssues(result.error.issues) });
        return;
      }
      id = result.data.id;
      value = JSON.stringify(result.data);
    }
    if (!key) {
      problems.push({ index, topic, reason: 'empty message key' });
      return;
    }
    const message: Message = {
      key,
      value,
      headers: {
        ...(headers?.[TRACEPARENT] === undefined && fallbackTrace),
        ...headers,
        [EVENT_HEADERS.contentType]: 'application/json',
        [EVENT_HEADERS.eventType]: topic,
        [EVENT_HEADERS.eventId]: id,
      },
    };
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    messages.push(message);
  });
  if (problems.length > 0) throw new InvalidEventError(problems);
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Fills a topic's key template (`TOPICS[topic].key`, e.g. `<tenant>/<deviceId>`) from the event:
 * `<tenant>` from the envelope, any other `<name>` from the payload.
 */
export function messageKeyOf<T extends TopicName>(topic: T, event: EventOf<T>): string {
  const payload = event.payload as Record<string, unknown>;
  return TOPICS[topic].key.replace(/<([A-Za-z]+)>/g, (_match, name: string) => {
    const value = name === 'tenant' ? event.tenant : payload[name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`cannot build the ${topic} key: event has no ${name}`);
    }
    return String(value);
  });
}
