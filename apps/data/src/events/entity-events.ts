import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createEvent } from '@urbis/contracts';
import { enqueueEvents, type OutboxItem, OutboxRelay } from '@urbis/messaging';
import { ContextService } from '../contexts/context.service';
import { renderEntity } from '../ngsi-ld/entity-output';
import type { StoredEntity } from '../ngsi-ld/stored';
import { EntityStore, type EntityChange } from '../storage/entity-store';

/**
 * `data.entity.changed.v1` for every entity a batch changed, written in the batch's own
 * transaction (outbox): an event exists if and only if the change committed.
 */
@Injectable()
export class EntityEvents implements OnModuleInit {
  constructor(
    private readonly store: EntityStore,
    private readonly contexts: ContextService,
    private readonly relay: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.store.onChanges((tx, changes) => enqueueEvents(tx, changes.map((change) => this.eventOf(change))));
    this.store.onCommitted(() => this.relay.nudge());
  }

  private eventOf(change: EntityChange): OutboxItem {
    const entity = (change.after ?? change.before) as StoredEntity;
    const core = this.contexts.core;
    const event = createEvent('data.entity.changed.v1', {
      tenant: change.tenant,
      source: 'data',
      payload: {
        entityId: entity.id,
        entityType: core.compactIri(entity.types[0] as string),
        change: !change.before ? 'created' : !change.after ? 'deleted' : 'updated',
        attributes: change.attributes.map((iri) => core.compactIri(iri)),
        modifiedAt: change.at,
        ...(change.after && { entity: renderEntity(change.after, { context: core, format: 'normalized', sysAttrs: true }) as never }),
      },
    });
    return { topic: 'data.entity.changed.v1', event, key: `${change.tenant}/${entity.id}` };
  }
}
