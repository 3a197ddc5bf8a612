import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Role } from '@urbis/auth';
import { enqueueEvents, type OutboxItem, type SqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import { DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { StoredEntity } from '../ngsi-ld/stored';
import { geoQueryToSql } from '../query';
import { type EntityChange, EntityStore } from '../storage/entity-store';
import { SqlParams } from '../storage/sql-params';
import { chunked, notificationEvent, type NotifiedEntity, renderChanged } from './notification-render';
import type { NotificationTrigger } from './subscription';
import { SubscriptionIndex } from './subscription-index';
import { type ChangeFacts, type CompiledSubscription, factsOf, triggerOf } from './subscription-matcher';
import { SubscriptionsRepository } from './subscriptions.repository';

/** A change a subscription is to be notified of. */
interface Hit {
  subscription: CompiledSubscription;
  facts: ChangeFacts;
  reason: NotificationTrigger;
}

/** Kafka's default message limit is 1 MiB; a notification stays well under it. */
const MAX_NOTIFICATION_BYTES = 512 * 1024;

/**
 * Matching, in the transaction of every committed batch (an `EntityStore` change hook): each
 * change is matched against the tenant's subscriptions in memory (entity selectors, triggers on
 * watched attributes, q, scopeQ; geoQ in the same transaction through PostGIS; throttling claimed
 * in SQL so replicas share it), rendered, and enqueued as `data.notification.requested.v1` in
 * the outbox: a notification exists if and only if its change committed. The integration service
 * delivers it; this service never calls an endpoint.
 */
@Injectable()
export class SubscriptionNotifier implements OnModuleInit {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly store: EntityStore,
    private readonly index: SubscriptionIndex,
    private readonly repository: SubscriptionsRepository,
    private readonly access: DataAccess,
  ) {}

  onModuleInit(): void {
    this.store.onChanges((tx, changes) => this.notify(tx, changes));
  }

  async notify(tx: SqlExecutor, changes: readonly EntityChange[]): Promise<void> {
    const notifiedAt = new Date().toISOString();
    const at = Date.parse(notifiedAt);
    let hits: Hit[] = [];
    for (const change of changes) {
      const candidates = this.index.candidates(change);
      if (candidates.length === 0) continue;
      const facts = factsOf(change);
      for (const subscription of candidates) {
        const seen = this.visibleFacts(subscription, facts);
        if (!seen) continue;
        const reason = triggerOf(subscription, seen, at);
        if (reason) hits.push({ subscription, facts: seen, reason });
      }
    }
    if (hits.length === 0) return;
    hits = await this.withinGeoQueries(tx, hits);
    hits = await this.throttled(tx, hits, notifiedAt, at);
    const items = this.render(hits, notifiedAt);
    await enqueueEvents(tx, items);
  }

  /** The change as the subscription's owner may see it (data-access policies); null when none of it. */
  private visibleFacts(subscription: CompiledSubscription, facts: ChangeFacts): ChangeFacts | null {
    const { owner } = subscription;
    const scope = this.access.scope(
      subscription.tenant,
      { ...owner, tenant: subscription.tenant, roles: owner.roles as Role[] },
      'read',
    );
    if (scope.unrestricted) return facts;
    const before = facts.change.before && this.access.visible(facts.change.before, scope);
    const after = facts.change.after && this.access.visible(facts.change.after, scope);
    if (!before && !after) return null;
    const shown = new Set(Object.keys({ ...before?.attrs, ...after?.attrs }));
    // An entity that comes into sight is a creation for this reader, one that goes out of sight a deletion.
    return factsOf({
      ...facts.change,
      before: before ?? null,
      after: after ?? null,
      attributes: facts.change.attributes.filter((iri) => shown.has(iri)),
    });
  }

  /** Keeps the hits whose entity is in its subscription's geoQ: one statement for the batch, on the geometries of each change's state. */
  private async withinGeoQueries(tx: SqlExecutor, hits: Hit[]): Promise<Hit[]> {
    const spatial = hits.filter((hit) => hit.subscription.geo);
    if (spatial.length === 0) return hits;
    const states = new Map<ChangeFacts, number>();
    for (const hit of spatial) if (!states.has(hit.facts)) states.set(hit.facts, states.size);
    const geometries = [...states].flatMap(([facts, n]) =>
      geometriesOf(facts.state).map(([attr, geom]) => ({ pk: n, attr, geom })),
    );
    const bySubscription = new Map<CompiledSubscription, Set<number>>();
    for (const hit of spatial) {
      const set = bySubscription.get(hit.subscription) ?? new Set<number>();
      set.add(states.get(hit.facts) as number);
      bySubscription.set(hit.subscription, set);
    }
    const params = new SqlParams();
    const source = params.add(JSON.stringify(geometries), 'jsonb');
    const parts = [...bySubscription].map(([subscription, candidates], s) => {
      const geo = subscription.geo as NonNullable<CompiledSubscription['geo']>;
      return `SELECT ${s} AS s, c.pk FROM unnest(${params.add([...candidates], 'int[]')}) AS c(pk) WHERE ${geoQueryToSql(geo, 'c', params)}`;
    });
    // The CTE named entity_geo stands in for the table of that name inside geoQueryToSql's
    // EXISTS: the geometries each change leaves (or, for a deletion, had), made valid as stored.
    const rows = await tx.$queryRawUnsafe<{ s: number; pk: number }[]>(
      `WITH entity_geo (entity_pk, attr, geom) AS (
         SELECT r.pk, r.attr, ST_MakeValid(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(r.geom::text)), 4326))
           FROM jsonb_to_recordset(${source}) AS r(pk int, attr text, geom jsonb))
       ${parts.join(' UNION ALL ')}`,
      ...params.values,
    );
    const subscriptions = [...bySubscription.keys()];
    const inside = new Set(rows.map((row) => `${row.s}/${row.pk}`));
    return hits.filter(
      (hit) =>
        !hit.subscription.geo ||
        inside.has(`${subscriptions.indexOf(hit.subscription)}/${states.get(hit.facts)}`),
    );
  }

  /**
   * Throttling (clause 5.8.6): a subscription notified less than `throttling` seconds ago gets
   * nothing now. This replica's memory answers when it knows; otherwise the claim is in SQL.
   */
  private async throttled(tx: SqlExecutor, hits: Hit[], notifiedAt: string, at: number): Promise<Hit[]> {
    const throttled = [
      ...new Set(
        hits.filter((hit) => hit.subscription.throttlingMs !== undefined).map((hit) => hit.subscription),
      ),
    ];
    if (throttled.length === 0) return hits;
    const open = throttled.filter(
      (subscription) =>
        !(
          subscription.lastNotifiedMs !== undefined &&
          subscription.lastNotifiedMs + (subscription.throttlingMs as number) > at
        ),
    );
    const claimed = await this.repository.claimThrottled(tx, open, notifiedAt);
    for (const subscription of claimed) subscription.lastNotifiedMs = at;
    return hits.filter((hit) => hit.subscription.throttlingMs === undefined || claimed.has(hit.subscription));
  }

  /** One notification per subscription and reason for the batch (split when large), entities in change order. */
  private render(hits: readonly Hit[], notifiedAt: string): OutboxItem[] {
    const groups = new Map<CompiledSubscription, Map<NotificationTrigger, NotifiedEntity[]>>();
    for (const hit of hits) {
      let rendered: NotifiedEntity;
      try {
        rendered = {
          rendered: renderChanged(hit.subscription, hit.facts, notifiedAt),
          state: hit.facts.state,
        };
      } catch (error) {
        // A rendering bug must not refuse the city's writes; it is logged with what it concerns.
        this.logger.error(
          {
            err: error,
            tenant: hit.subscription.tenant,
            subscription: hit.subscription.id,
            entity: hit.facts.state.id,
          },
          'notification could not be rendered',
        );
        continue;
      }
      const byReason = groups.get(hit.subscription) ?? new Map<NotificationTrigger, NotifiedEntity[]>();
      groups.set(hit.subscription, byReason);
      const entities = byReason.get(hit.reason);
      if (entities) entities.push(rendered);
      else byReason.set(hit.reason, [rendered]);
    }
    const items: OutboxItem[] = [];
    const limits = {
      maxEntities: this.config.subscriptions.maxEntitiesPerNotification,
      maxBytes: MAX_NOTIFICATION_BYTES,
    };
    for (const [subscription, byReason] of groups) {
      for (const [reason, entities] of byReason) {
        for (const chunk of chunked(entities, limits))
          items.push(notificationEvent(subscription, chunk, notifiedAt, reason));
      }
    }
    return items;
  }
}

/** Every GeoProperty instance of the entity: [attribute IRI, geometry]. */
function geometriesOf(entity: StoredEntity): [string, unknown][] {
  return Object.entries(entity.attrs).flatMap(([iri, instances]) =>
    instances
      .filter((instance) => instance.type === 'GeoProperty' && instance.value !== undefined)
      .map((instance) => [iri, instance.value] as [string, unknown]),
  );
}
