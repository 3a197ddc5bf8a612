import { Module } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { SecurityConfig } from '../config';
import { DetectionService } from './detection.service';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';
import { ThresholdsService } from './thresholds.service';

export const DETECTION_CONSUMER = Symbol.for('urbis.security.detection-consumer');

/**
 * Incidents and response: worker `incident-detection` consumes every service's audit records,
 * connectivity's uplinks (message rates) and the appliers' enforcement confirmations.
 */
@Module({
  controllers: [IncidentsController],
  providers: [
    IncidentsRepository,
    IncidentsService,
    ThresholdsService,
    DetectionService,
    {
      provide: DETECTION_CONSUMER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, DetectionService, IncidentsService],
      useFactory: (kafka: Kafka, config: SecurityConfig, logger: Logger, lifecycle: ServiceLifecycle, detection: DetectionService, incidents: IncidentsService) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: config.detection.consumerGroup,
          logger: messagingLogger(logger),
          // A new deployment judges what happens from now on, not the whole history of the topics.
          fromBeginning: false,
          subscriptions: {
            'security.audit.recorded.v1': (events) => detection.onAuditRecords(events),
            'connectivity.uplink.received.v1': (events) => detection.onUplinks(events),
            'security.enforcement.applied.v1': (events) => incidents.reported(events),
          },
        });
        lifecycle.addWorker({ name: 'incident-detection', start: () => consumer.start(), stop: () => consumer.stop(), isRunning: () => consumer.isRunning() });
        return consumer;
      },
    },
  ],
})
export class IncidentsModule {}
