import { Injectable, type OnModuleInit } from '@nestjs/common';
import { encodeEvent, type OutboxItem, outboxInsertOf, OutboxRelay } from '@urbis/messaging';
import { ContextService } from '../contexts/context.service';
import type { StoredEntity } from '../ngsi-ld/stored';
import type { BatchTransaction } from '../storage/batch-transaction';
import { EntityStore, type EntityChange } from '../storage/entity-store';

/**
 * `data.entity.changed.v1` for every entity a batch changed, written in the batch's own
 * transaction (outbox): an event exists if and only if the change committed. The event names the
 * entity, its type, the kind of change, the attributes changed and when; it leaves out the
 * optional `entity` (ADR 0015): the state is the broker's to serve, in the representation and
 * under the policies each reader has, through queries or subscriptions.
 */
@Injectable()
export class EntityEvents implements OnModuleInit {
  constructor(
    private readonly store: EntityStore,
    private readonly contexts: ContextService,
    private readonly relay: OutboxRelay,
  ) {}

  onModuleInit(): void {
    this.store.onChanges((tx, changes) => this.enqueue(tx, changes));
    this.store.onCommitted(() => this.relay.nudge());
  }

  private enqueue(tx: BatchTransaction, changes: readonly EntityChange[]): void {
    const insert = outboxInsertOf(changes.map((change) => this.eventOf(change)));
    if (insert) tx.defer(insert.query, ...insert.values);
  }

  private eventOf(change: EntityChange): OutboxItem {
    const entity = (change.after ?? change.before) as StoredEntity;
    const core = this.contexts.core;
    const event = encodeEvent('data.entity.changed.v1', {
      tenant: change.tenant,
      source: 'data',
      payload: {
        entityId: entity.id,
        entityType: core.compactIri(entity.types[0] as string),
        change: !change.before ? 'created' : !change.after ? 'deleted' : 'updated',
        attributes: change.attributes.map((iri) => core.compactIri(iri)),
        modifiedAt: change.at,
      },
    });
    return { topic: 'data.entity.changed.v1', event, key: `${change.tenant}/${entity.id}`, trace: change.trace };
  }
}
