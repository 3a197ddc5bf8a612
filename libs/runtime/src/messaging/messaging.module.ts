import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { createKafka, EventPublisher } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import type { Admin, Kafka } from 'kafkajs';
import type { BaseConfig } from '../config/base-config';
import { ServiceLifecycle } from '../lifecycle/service-lifecycle';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '../tokens';
import { messagingLogger } from './messaging-logger';

/** The service's kafkajs client (for consumers: `new EventConsumer({ kafka, ... })`). */
export const KAFKA = Symbol.for('urbis.runtime.kafka');

/** The broker answers: the admin client is connected and the cluster describes itself. */
export async function brokerCheck(admin: Admin): Promise<{ ok: boolean; detail?: string }> {
  const cluster = await admin.describeCluster();
  return {
    ok: cluster.brokers.length > 0,
    detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller}`,
  };
}

async function connectBroker(kafka: Kafka, lifecycle: ServiceLifecycle, config: BaseConfig): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await brokerCheck(admin);
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new Error(
      `Kafka unreachable at ${config.kafka.brokers.join(',')}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  lifecycle.addConnection({
    name: 'broker',
    check: () => brokerCheck(admin),
    close: () => admin.disconnect(),
  });
  return admin;
}

async function connectPublisher(
  kafka: Kafka,
  lifecycle: ServiceLifecycle,
  logger: Logger,
): Promise<EventPublisher> {
  const publisher = new EventPublisher({ kafka, logger: messagingLogger(logger) });
  await publisher.connect();
  lifecycle.addConnection({
    name: 'kafka-producer',
    check: async () => publisher.isConnected(),
    close: () => publisher.disconnect(),
  });
  logger.info('kafka producer connected');
  return publisher;
}

const BROKER_ADMIN = Symbol.for('urbis.runtime.broker-admin');

const providers: Provider[] = [
  {
    provide: KAFKA,
    inject: [SERVICE_CONFIG, SERVICE_LOGGER],
    useFactory: (config: BaseConfig, logger: Logger) =>
      createKafka({
        clientId: config.kafka.clientId,
        brokers: config.kafka.brokers,
        logger: messagingLogger(logger),
      }),
  },
  {
    provide: BROKER_ADMIN,
    inject: [KAFKA, ServiceLifecycle, SERVICE_CONFIG],
    useFactory: connectBroker,
  },
  {
    provide: EventPublisher,
    // After the broker check: an unreachable broker fails the boot with one clear message.
    inject: [KAFKA, ServiceLifecycle, SERVICE_LOGGER, BROKER_ADMIN],
    useFactory: (kafka: Kafka, lifecycle: ServiceLifecycle, logger: Logger) =>
      connectPublisher(kafka, lifecycle, logger),
  },
];

/**
 * Kafka for every service: the client, the broker readiness check and the typed publisher,
 * connected at boot (an unreachable broker fails the boot) and closed after HTTP on shutdown.
 */
@Global()
@Module({})
export class MessagingRuntimeModule {
  static forRoot(): DynamicModule {
    return { module: MessagingRuntimeModule, providers, exports: [KAFKA, EventPublisher] };
  }
}
