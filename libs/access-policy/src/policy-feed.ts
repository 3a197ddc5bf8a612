import { EventConsumer, type MessagingLogger } from '@urbis/messaging';
import type { Kafka } from 'kafkajs';
import type { PolicyCache } from './policy-cache';

const TOPIC = 'security.policy.changed.v2';

export interface PolicyFeedOptions {
  kafka: Kafka;
  cache: PolicyCache;
  /**
   * A group of its own per replica (e.g. `urbis-data-policies-<replica>`): every replica must
   * read every policy, from the beginning of the (compacted) topic.
   */
  groupId: string;
  logger?: MessagingLogger;
  /** How often to compare the group's committed offsets with the topic's end while catching up. Default 200 ms. */
  pollMs?: number;
  /** Give up waiting for the catch-up after this long (start() rejects). Default 120 s. */
  catchUpTimeoutMs?: number;
}

/**
 * Feeds a PolicyCache from `security.policy.changed.v2`. `start()` resolves once the cache holds
 * everything that was on the topic when it started, so a replica never decides on a partial
 * set of policies; `isRunning()` is for readiness (`lifecycle.addWorker`).
 */
export class PolicyFeed {
  private readonly consumer: EventConsumer;
  private caughtUp = false;

  constructor(private readonly options: PolicyFeedOptions) {
    this.consumer = new EventConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      fromBeginning: true,
      logger: options.logger,
      subscriptions: { [TOPIC]: async (events) => void options.cache.apply(events) },
    });
  }

  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(TOPIC);
      await this.consumer.start();
      const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 120_000);
      for (;;) {
        const [committed] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [TOPIC] });
        const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        // An empty partition (low = high) needs nothing; otherwise the group must have committed up to its end.
        if (ends.every((end) => Number(end.high) === Number(end.low) || (at.get(end.partition) ?? -1) >= Number(end.high))) break;
        if (Date.now() > deadline) throw new Error(`policy feed did not catch up with ${TOPIC} within ${this.options.catchUpTimeoutMs ?? 120_000} ms`);
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 200));
      }
      this.caughtUp = true;
    } finally {
      await admin.disconnect();
    }
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  isRunning(): boolean {
    return this.caughtUp && this.consumer.isRunning();
  }
}
