import { Module } from '@nestjs/common';
import { EventConsumer } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import { addPeriodicWorker } from '../common/periodic-worker';
import type { SecurityConfig } from '../config';
import { LedgerController } from './ledger.controller';
import { LedgerKeys } from './ledger-keys';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

export const LEDGER_CONSUMER = Symbol.for('urbis.security.ledger-consumer');
export const LEDGER_CHECKPOINTS = Symbol.for('urbis.security.ledger-checkpoints');

/** The audit ledger: worker `audit-ledger` (consumes every service's records), worker `ledger-checkpoints`. */
@Module({
  controllers: [LedgerController],
  providers: [
    LedgerKeys,
    LedgerRepository,
    LedgerService,
    {
      provide: LEDGER_CONSUMER,
      inject: [KAFKA, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, LedgerService],
      useFactory: (kafka: Kafka, config: SecurityConfig, logger: Logger, lifecycle: ServiceLifecycle, ledger: LedgerService) => {
        const consumer = new EventConsumer({
          kafka,
          groupId: config.ledger.consumerGroup,
          logger: messagingLogger(logger),
          subscriptions: { 'security.audit.recorded.v1': (events, context) => ledger.append(events, context.records).then(() => undefined) },
        });
        lifecycle.addWorker({ name: 'audit-ledger', start: () => consumer.start(), stop: () => consumer.stop(), isRunning: () => consumer.isRunning() });
        return consumer;
      },
    },
    {
      provide: LEDGER_CHECKPOINTS,
      inject: [SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle, LedgerService],
      useFactory: (config: SecurityConfig, logger: Logger, lifecycle: ServiceLifecycle, ledger: LedgerService) =>
        addPeriodicWorker(lifecycle, logger, { name: 'ledger-checkpoints', intervalMs: config.ledger.checkpointIntervalMs, task: () => ledger.checkpointAll() }),
    },
  ],
  exports: [LedgerService],
})
export class LedgerModule {}
