import { Module } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { IntegrationConfig } from '../config';
import { DeliveryModule } from '../delivery/delivery.module';
import { OutboundModule } from '../outbound/outbound.module';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook.dto';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

export const PLATFORM_EVENTS_WORKER = Symbol.for('urbis.integration.platform-events');

type Handlers = { [T in WebhookEventType]: (events: readonly EventOf<T>[]) => Promise<void> };

/** Platform webhooks: registration, signing secrets, and the consumer of the platform's events. */
@Module({
  imports: [DeliveryModule, OutboundModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksRepository,
    WebhooksService,
    {
      provide: PLATFORM_EVENTS_WORKER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, WebhooksService],
      useFactory: (
        kafka: Kafka,
        config: IntegrationConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
        webhooks: WebhooksService,
      ) => {
        const subscriptions = Object.fromEntries(
          WEBHOOK_EVENT_TYPES.map((type) => [
            type,
            (events: readonly EventOf<WebhookEventType>[]) => webhooks.handle(type, events),
          ]),
        ) as Handlers;
        const consumer = new EventConsumer({
          kafka,
          groupId: config.webhooks.consumerGroup,
          logger: messagingLogger(logger),
          subscriptions,
        });
        lifecycle.addWorker({
          name: 'platform-events-consumer',
          start: () => consumer.start(),
          stop: () => consumer.stop(),
          isRunning: () => consumer.isRunning(),
        });
        return consumer;
      },
    },
  ],
})
export class WebhooksModule {}
