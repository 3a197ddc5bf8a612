import { EventOf, TopicName, TOPICS, eventSchemaOf } from '@urbis/contracts';
import { Kafka, Message, Partitioners, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { describeIssues } from './decode';
import { errorsOnlyLogger, MessagingLogger } from './logger';

/** Headers every published event carries (trace context is added by the OpenTelemetry kafkajs instrumentation). */
export const EVENT_HEADERS = {
  contentType: 'content-type',
  eventType: 'event-type',
  eventId: 'event-id',
} as const;

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

/** One event bound for one topic, used to publish to several topics in one produce request. */
export type OutgoingEvent = {
  [T in TopicName]: { topic: T; key: string; event: EventOf<T>; headers?: Readonly<Record<string, string>> };
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
 */
export class EventPublisher {
  private readonly producer: Producer;
  private readonly logger: MessagingLogger;
  private connected = false;

  constructor(options: EventPublisherOptions) {
    this.logger = options.logger ?? errorsOnlyLogger;
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client: a key lands on the same partition whoever publishes it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
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
    const topicMessages = toTopicMessages(outgoing);
    const metadata = await this.producer.sendBatch({ topicMessages, acks: -1 });
    this.logger.debug('published events', { count: outgoing.length });
    return metadata;
  }
}

/** Validates every event and groups them into kafkajs topic messages, keeping the given order. */
export function toTopicMessages(outgoing: readonly OutgoingEvent[]): TopicMessages[] {
  const problems: { index: number; topic: string; reason: string }[] = [];
  const byTopic = new Map<string, Message[]>();
  outgoing.forEach(({ topic, event, key, headers }, index) => {
    if (!Object.prototype.hasOwnProperty.call(TOPICS, topic)) {
      problems.push({ index, topic, reason: 'not a catalogue topic' });
      return;
    }
    const result = eventSchemaOf(topic).safeParse(event);
    if (!result.success) {
      problems.push({ index, topic, reason: describeIssues(result.error.issues) });
      return;
    }
    if (!key) {
      problems.push({ index, topic, reason: 'empty message key' });
      return;
    }
    const message: Message = {
      key,
      value: JSON.stringify(result.data),
      headers: {
        ...headers,
        [EVENT_HEADERS.contentType]: 'application/json',
        [EVENT_HEADERS.eventType]: topic,
        [EVENT_HEADERS.eventId]: result.data.id,
      },
    };
    const messages = byTopic.get(topic) ?? [];
    messages.push(message);
    byTopic.set(topic, messages);
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
