import { Module } from '@nestjs/common';
import { DatabaseModule, OutboxRelayModule } from '@urbis/runtime';
import { DataAccess } from './access/data-access';
import { ContextDocumentsRepository } from './contexts/context-documents.repository';
import { ContextLoader } from './contexts/context-loader';
import { ContextService } from './contexts/context.service';
import { ContextsController } from './contexts/contexts.controller';
import { BatchController } from './entities/batch.controller';
import { BatchService } from './entities/batch.service';
import { DiscoveryController } from './entities/discovery.controller';
import { EntitiesController } from './entities/entities.controller';
import { EntitiesService } from './entities/entities.service';
import { EntityEvents } from './events/entity-events';
import { NgsiLdBodyParsers } from './http/body-parsers';
import { NgsiLdProblemHook } from './http/problem-hook';
import { NgsiLdResponder } from './http/responder';
import { ObservationIngest } from './ingest/observation-ingest';
import { RetentionController } from './retention/retention.controller';
import { RetentionRepository } from './retention/retention.repository';
import { RetentionService } from './retention/retention.service';
import { EntityRepository } from './storage/entity.repository';
import { EntityStore } from './storage/entity-store';
import { SUBSCRIPTION_CONTROLLERS, SUBSCRIPTION_PROVIDERS } from './subscriptions';
import { HistoryPartitions } from './temporal/history-partitions';
import { HistoryRepository } from './temporal/history.repository';
import { HistoryWriter } from './temporal/history-writer';
import { TemporalController } from './temporal/temporal.controller';
import { TemporalService } from './temporal/temporal.service';

/** The NGSI-LD context broker: entities, batch operations, queries, discovery, @contexts, temporal history, subscriptions, observation ingest. */
@Module({
  imports: [DatabaseModule.forPool({ max: 16 }), OutboxRelayModule.forRoot({ pollIntervalMs: 100, batchSize: 500 })],
  controllers: [RetentionController, EntitiesController, BatchController, DiscoveryController, ContextsController, TemporalController, ...SUBSCRIPTION_CONTROLLERS],
  providers: [
    NgsiLdBodyParsers,
    NgsiLdProblemHook,
    NgsiLdResponder,
    ContextDocumentsRepository,
    ContextLoader,
    ContextService,
    EntityRepository,
    EntityStore,
    DataAccess,
    RetentionRepository,
    RetentionService,
    EntitiesService,
    BatchService,
    EntityEvents,
    ObservationIngest,
    HistoryPartitions,
    HistoryRepository,
    HistoryWriter,
    TemporalService,
    ...SUBSCRIPTION_PROVIDERS,
  ],
})
export class AppModule {}
