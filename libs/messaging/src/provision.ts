import { Kafka } from 'kafkajs';
import { errorsOnlyLogger, MessagingLogger } from './logger';

export interface ProvisionOptions {
  partitions: number;
  replicationFactor: number;
  logger?: MessagingLogger;
}

/**
 * Creates the topics that do not exist yet; lists first, so a cluster where every topic exists (the dev
 * broker has no CreateTopics API) is never asked to create one. Resolves to the topics it created.
 */
export async function provisionTopics(
  kafka: Kafka,
  topics: readonly string[],
  options: ProvisionOptions,
): Promise<string[]> {
  const logger = options.logger ?? errorsOnlyLogger;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    logger.info('creating topics', { topics: missing });
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions,
        replicationFactor: options.replicationFactor,
      })),
    });
    return missing;
  } finally {
    await admin.disconnect();
  }
}
