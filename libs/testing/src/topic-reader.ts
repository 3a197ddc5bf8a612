// Reads what services put on Kafka, from the beginning of each topic, as a consumer would see it.
import type { EventOf, TopicName } from '@urbis/contracts';
import { type Consumer, type IHeaders, Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { until } from './eventually';

/** One message as read: its topic, key, JSON value and headers (as strings). */
export interface ReadMessage {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Keeps every message of its topics, from the beginning. Start it before the test acts. */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private readonly consumer: Consumer;

  constructor(
    brokers: readonly string[],
    private readonly topics: readonly string[],
  ) {
    const id = `reader-${randomBytes(4).toString('hex')}`;
    const kafka = new Kafka({ clientId: id, brokers: [...brokers], logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: id, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<this> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        this.messages.push({
          topic,
          key: message.key?.toString('utf8') ?? '',
          value: message.value?.length
            ? (JSON.parse(message.value.toString('utf8')) as Record<string, unknown>)
            : {},
          headers: headersOf(message.headers ?? {}),
        });
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  matching(predicate: (message: ReadMessage) => boolean): ReadMessage[] {
    return this.messages.filter(predicate);
  }

  /** Waits until `count` messages match, and returns them. */
  waitFor(
    predicate: (message: ReadMessage) => boolean,
    count = 1,
    timeoutMs = 20_000,
  ): Promise<ReadMessage[]> {
    return until(
      () => this.matching(predicate),
      (found) => found.length >= count,
      { timeoutMs, what: `${count} matching message(s) on ${this.topics.join(', ')}` },
    );
  }

  /** The events of one catalogue topic, typed by the contract (the consumer side validates; this reads). */
  events<T extends TopicName>(
    topic: T,
    predicate: (event: EventOf<T>) => boolean = () => true,
  ): ReadEvent<T>[] {
    return this.messages
      .filter((message) => message.topic === topic)
      .map((message) => ({
        event: message.value as unknown as EventOf<T>,
        key: message.key,
        headers: message.headers,
      }))
      .filter((read) => predicate(read.event));
  }

  /** Waits until `count` events of the topic match, and returns them. */
  waitForEvents<T extends TopicName>(
    topic: T,
    predicate: (event: EventOf<T>) => boolean,
    count = 1,
    timeoutMs = 20_000,
  ): Promise<ReadEvent<T>[]> {
    return until(
      () => this.events(topic, predicate),
      (found) => found.length >= count,
      { timeoutMs, what: `${count} matching event(s) on ${topic}` },
    );
  }
}

/** An event of a catalogue topic as read, with its key and headers. */
export interface ReadEvent<T extends TopicName> {
  event: EventOf<T>;
  key: string;
  headers: Record<string, string>;
}

/** A reader of one catalogue topic: `waitFor` and `matching` see its typed events. */
export class EventReader<T extends TopicName> {
  private readonly reader: TopicReader;

  constructor(
    brokers: readonly string[],
    private readonly topic: T,
  ) {
    this.reader = new TopicReader(brokers, [topic]);
  }

  async start(): Promise<this> {
    await this.reader.start();
    return this;
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  matching(predicate: (event: EventOf<T>) => boolean): ReadEvent<T>[] {
    return this.reader.events(this.topic, predicate);
  }

  waitFor(predicate: (event: EventOf<T>) => boolean, count = 1, timeoutMs = 20_000): Promise<ReadEvent<T>[]> {
    return this.reader.waitForEvents(this.topic, predicate, count, timeoutMs);
  }
}

function headersOf(headers: IHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}
