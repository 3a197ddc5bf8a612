import { Module } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import { DevicesModule } from '../devices/devices.module';
import { EnforcementService } from './enforcement.service';

export const ENFORCEMENT_CONSUMER = Symbol.for('urbis.devices.enforcement-consumer');

/** Security's device enforcements (worker `enforcement`, consumer group `urbis-devices-enforcement`). */
@Module({
  imports: [DevicesModule],
  providers: [
    EnforcementService,
    {
      provide: ENFORCEMENT_CONSUMER,
      inject: [KAFKA, SERVICE_LOGGER, ServiceLifecycle, EnforcementService],
      useFactory: (kafka: Kafka, logger: Logger, lifecycle: ServiceLifecycle, enforcement: EnforcementService) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: 'urbis-devices-enforcement',
          logger: messagingLogger(logger),
          subscriptions: { 'security.enforcement.requested.v2': (events) => enforcement.handle(events) },
        });
        lifecycle.addWorker({ name: 'enforcement', start: () => consumer.start(), stop: () => consumer.stop(), isRunning: () => consumer.isRunning() });
        return consumer;
      },
    },
  ],
})
export class EnforcementModule {}
