import { Module } from '@nestjs/common';
import { EventConsumer, OutboxRelay } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { IntegrationConfig } from '../config';
import { OutboundModule } from '../outbound/outbound.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDispatcher } from './delivery-dispatcher';
import { DeliveryIntake } from './delivery-intake';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliverySender } from './delivery-sender';
import { DeliveryRepository } from './delivery.repository';

export const NOTIFICATIONS_WORKER = Symbol.for('urbis.integration.notifications');

/** The platform's one outbound delivery engine: queues, attempts, dead letters, the log. */
@Module({
  imports: [OutboundModule],
  controllers: [DeliveriesController],
  providers: [
    DeliveryRepository,
    DeliveryMetrics,
    DeliverySender,
    DeliveriesService,
    DeliveryIntake,
    {
      provide: DeliveryDispatcher,
      inject: [
        DeliveryRepository,
        DeliverySender,
        OutboxRelay,
        DeliveryMetrics,
        SERVICE_CONFIG,
        SERVICE_LOGGER,
        ServiceLifecycle,
      ],
      useFactory: (
        deliveries: DeliveryRepository,
        sender: DeliverySender,
        relay: OutboxRelay,
        metrics: DeliveryMetrics,
        config: IntegrationConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
      ) => {
        const dispatcher = new DeliveryDispatcher(deliveries, sender, relay, metrics, config, logger);
        lifecycle.addWorker(dispatcher);
        return dispatcher;
      },
    },
    {
      provide: NOTIFICATIONS_WORKER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, DeliveryIntake],
      useFactory: (
        kafka: Kafka,
        config: IntegrationConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
        intake: DeliveryIntake,
      ) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: config.delivery.notificationsConsumerGroup,
          logger: messagingLogger(logger),
          subscriptions: {
            'data.notification.requested.v1': (events) => intake.notifications(events),
          },
        });
        lifecycle.addWorker({
          name: 'notifications-consumer',
          start: () => consumer.start(),
          stop: () => consumer.stop(),
          isRunning: () => consumer.isRunning(),
        });
        return consumer;
      },
    },
  ],
  exports: [DeliveryIntake, DeliverySender],
})
export class DeliveryModule {}
