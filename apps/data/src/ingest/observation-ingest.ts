import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import { claimEvents, EventConsumer, PermanentEventError, traceContextOf } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import type { DataConfig } from '../config';
import { ContextService } from '../contexts/context.service';
import { assertName, geometryOf, isUri } from '../ngsi-ld/entity-input';
import { observe } from '../ngsi-ld/entity-mutations';
import type { JsonValue, StoredAttribute } from '../ngsi-ld/stored';
import { type EntityOperation, EntityStore } from '../storage/entity-store';

type Observation = EventOf<'devices.observation.decoded.v1'>;

/** The consumer name under which ingested observations are recorded as processed. */
export const OBSERVATIONS_CONSUMER = 'data.observation-ingest';

/**
 * Device observations into current state and history: each consumer batch is one transaction
 * that claims its events (a redelivery has no second effect), upserts the entities, appends the
 * attribute instances and enqueues `data.entity.changed.v1`. Names are expanded with the core
 * @context (a profile that wants another vocabulary sends IRIs). An observation the broker
 * cannot store goes to the DLQ with its reason; the rest of the batch is not held back.
 */
@Injectable()
export class ObservationIngest implements OnModuleInit {
  private readonly consumer: EventConsumer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) config: DataConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly store: EntityStore,
    private readonly contexts: ContextService,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: config.observations.consumerGroup,
      // While one partition's transaction waits on the database, another's is prepared.
      partitionsConsumedConcurrently: config.observations.concurrency,
      maxEventsPerCall: config.observations.batch,
      logger: messagingLogger(logger),
      subscriptions: { 'devices.observation.decoded.v1': (events) => this.handle(events) },
    });
  }

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'observation-ingest',
      start: () => this.consumer.start(),
      stop: () => this.consumer.stop(),
      isRunning: () => this.consumer.isRunning(),
    });
  }

  async handle(events: readonly Observation[]): Promise<void> {
    const rejected: { event: Observation; reason: string }[] = [];
    const operations = new Map<string, EntityOperation>();
    for (const event of events) {
      try {
        operations.set(event.id, this.operationOf(event));
      } catch (error) {
        rejected.push({ event, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    const outcomes = await this.store.applyBatch(async (tx) => {
      const claimed = await claimEvents(tx, OBSERVATIONS_CONSUMER, [...operations.keys()]);
      return [...operations].filter(([id]) => claimed.has(id)).map(([, operation]) => operation);
    });
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed && !failed.ok) throw failed.error;
    if (rejected.length === 0) return;
    if (events.length === 1) throw new PermanentEventError(rejected[0]?.reason ?? 'rejected');
    // The good observations are committed; the consumer retries one by one and dead-letters the rest.
    throw new Error(`${rejected.length} of ${events.length} observations cannot be stored`);
  }

  private operationOf(event: Observation): EntityOperation {
    const { entity, attributes, observedAt } = event.payload;
    if (!isUri(entity.id)) throw new Error(`entity id ${entity.id} is not a URI`);
    const core = this.contexts.core;
    assertName(entity.type, 'entity type');
    const now = new Date().toISOString();
    const stored: Record<string, StoredAttribute> = {};
    for (const attribute of attributes) {
      assertName(attribute.name, 'attribute name');
      const instance: StoredAttribute = { type: attribute.type, createdAt: now, modifiedAt: now, observedAt: attribute.observedAt ?? observedAt };
      if (attribute.type === 'Relationship') {
        if (!isUri(attribute.value)) throw new Error(`relationship ${attribute.name} does not point at a URI`);
        instance.object = attribute.value;
      } else {
        instance.value = attribute.type === 'GeoProperty' ? geometryOf(attribute.name, attribute.value) : (attribute.value as JsonValue);
      }
      if (attribute.unitCode !== undefined) instance.unitCode = attribute.unitCode;
      stored[core.expandTerm(attribute.name)] = instance;
    }
    return {
      tenant: event.tenant,
      entityId: entity.id,
      mutate: observe(entity.id, core.expandTerm(entity.type), stored),
      trace: traceContextOf(event),
    };
  }
}
