import { type DynamicModule, Module } from '@nestjs/common';
import { EventPublisher, MessagingTablesPruner, OutboxRelay } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import type { BaseConfig } from '../config/base-config';
import { DATABASE, type Database } from '../database/database.module';
import { ServiceLifecycle } from '../lifecycle/service-lifecycle';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '../tokens';
import { messagingLogger } from './messaging-logger';

export interface OutboxRelayModuleOptions {
  batchSize?: number;
  pollIntervalMs?: number;
}

/**
 * Runs the service's outbox relay (@urbis/messaging) as a worker: started once the service is
 * up, stopped (its batch committed) first on shutdown, and part of readiness. Needs
 * DatabaseModule (either form) and the messaging runtime. Inject `OutboxRelay` to `nudge()` it.
 * Beside it, a second worker deletes published outbox rows and dedupe claims past their
 * retention (`OUTBOX_RETENTION_SECONDS`, `DEDUPE_RETENTION_SECONDS`), once a minute.
 */
@Module({})
export class OutboxRelayModule {
  static forRoot(options: OutboxRelayModuleOptions = {}): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [
        {
          provide: OutboxRelay,
          inject: [DATABASE, EventPublisher, ServiceLifecycle, SERVICE_LOGGER],
          useFactory: (
            db: Database,
            publisher: EventPublisher,
            lifecycle: ServiceLifecycle,
            logger: Logger,
          ) => {
            const relay = new OutboxRelay({
              db,
              publisher,
              batchSize: options.batchSize,
              pollIntervalMs: options.pollIntervalMs,
              logger: messagingLogger(logger),
            });
            lifecycle.addWorker({
              name: 'outbox-relay',
              start: () => relay.start(),
              stop: () => relay.stop(),
              isRunning: () => relay.isRunning(),
            });
            return relay;
          },
        },
        {
          provide: MessagingTablesPruner,
          inject: [DATABASE, SERVICE_CONFIG, ServiceLifecycle, SERVICE_LOGGER],
          useFactory: (db: Database, config: BaseConfig, lifecycle: ServiceLifecycle, logger: Logger) => {
            const pruner = new MessagingTablesPruner({
              db,
              retention: {
                publishedOutboxMs: config.messaging.outboxRetentionSeconds * 1000,
                processedEventsMs: config.messaging.dedupeRetentionSeconds * 1000,
              },
              logger: messagingLogger(logger),
            });
            lifecycle.addWorker({
              name: 'messaging-retention',
              start: () => pruner.start(),
              stop: () => pruner.stop(),
              isRunning: () => pruner.isRunning(),
            });
            return pruner;
          },
        },
      ],
      exports: [OutboxRelay],
    };
  }
}
