import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import type { Role } from '@urbis/auth';
import { type OutboxItem, outboxInsertOf, type SqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import { type AccessScope, DataAccess } from '../access/data-access';
import type { DataConfig } from '../config';
import type { StoredEntity } from '../ngsi-ld/stored';
import { geoQueryToSql } from '../query';
import type { BatchTransaction } from '../storage/batch-transaction';
import { type EntityChange, EntityStore } from '../storage/entity-store';
import { SqlParams } from '../storage/sql-params';
import { mayMatchGeoQuery } from './geo-prefilter';
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

  async notify(tx: BatchTransaction, changes: readonly EntityChange[]): Promise<void> {
    const notifiedAt = new Date().toISOString();
    const at = Date.parse(notifiedAt);
    let hits: Hit[] = [];
    const scopes = new Map<CompiledSubscription, AccessScope>();
    for (const change of changes) {
      const candidates = this.index.candidates(change);
      if (candidates.length === 0) continue;
      const facts = factsOf(change);
      for (const subscription of candidates) {
        const seen = this.visibleFacts(subscription, facts, scopes);
        if (!seen) continue;
        const reason = triggerOf(subscription, seen, at);
        if (!reason) continue;
        const { geo } = subscription;
        if (geo && !mayMatchGeoQuery(geo, geometriesOf(seen.state, geo.geoproperty))) continue;
        hits.push({ subscription, facts: seen, reason });
      }
    }
    if (hits.length === 0) return;
    hits = await this.withinGeoQueries(tx, hits);
    hits = await this.throttled(tx, hits, notifiedAt);
    const insert = outboxInsertOf(this.render(hits, notifiedAt));
    if (insert) tx.defer(insert.query, ...insert.values);
  }

  /** The change as the subscription's owner may see it (data-access policies); null when none of it. */
  private visibleFacts(
    subscription: CompiledSubscription,
    facts: ChangeFacts,
    scopes: Map<CompiledSubscription, AccessScope>,
  ): ChangeFacts | null {
    let scope = scopes.get(subscription);
    if (!scope) {
      const { owner } = subscription;
      const principal = { ...owner, tenant: subscription.tenant, roles: owner.roles as Role[] };
      scope = this.access.scope(subscription.tenant, principal, 'read');
      scopes.set(subscription, scope);
    }
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

  /**
   * Keeps the hits whose entity is in its subscription's geoQ, in one statement for the batch (two
   * when it deleted entities); mayMatchGeoQuery has already left out those far away. The batch's own writes are visible here: an entity that still exists is read from `entity`
   * and `entity_geo` (indexed) as any geo-query reads it; a deleted one from the geometries it had.
   */
  private async withinGeoQueries(tx: SqlExecutor, hits: Hit[]): Promise<Hit[]> {
    const spatial = hits.filter((hit) => hit.subscription.geo);
    if (spatial.length === 0) return hits;
    const groups = new Map<string, { subscription: CompiledSubscription; deleted: boolean; hits: Hit[] }>();
    for (const hit of spatial) {
      const deleted = hit.facts.kind === 'deleted';
      const key = `${hit.subscription.tenant}\u0000${hit.subscription.id}\u0000${deleted}`;
      const group = groups.get(key) ?? { subscription: hit.subscription, deleted, hits: [] };
      group.hits.push(hit);
      groups.set(key, group);
    }
    const numbered = [...groups.values()].map((group, n) => ({
      ...group,
      n,
      ids: [...new Set(group.hits.map((hit) => hit.facts.state.id))],
    }));
    const rows: { n: number; id: string }[] = [];
    const existing = numbered.filter((group) => !group.deleted);
    if (existing.length > 0) {
      const params = new SqlParams();
      const parts = existing.map(
        (group) =>
          `SELECT ${group.n} AS n, e.id FROM entity e WHERE e.tenant = ${params.add(group.subscription.tenant)} AND e.id = ANY(${params.add(group.ids, 'text[]')}) AND ${geoQueryToSql(group.subscription.geo as NonNullable<CompiledSubscription['geo']>, 'e', params)}`,
      );
      rows.push(
        ...(await tx.$queryRawUnsafe<{ n: number; id: string }[]>(
          parts.join(' UNION ALL '),
          ...params.values,
        )),
      );
    }
    const deleted = numbered.filter((group) => group.deleted);
    if (deleted.length > 0) {
      // The entities are gone: a CTE named entity_geo stands in for the table inside
      // geoQueryToSql's EXISTS, with the geometries they had, keyed by entity id.
      const params = new SqlParams();
      const removed = deleted.flatMap((group) =>
        group.hits.flatMap((hit) =>
          geoInstancesOf(hit.facts.state).map(([attr, geom]) => ({ id: hit.facts.state.id, attr, geom })),
        ),
      );
      const source = params.add(JSON.stringify(removed), 'jsonb');
      const parts = deleted.map(
        (group) =>
          `SELECT ${group.n} AS n, e.pk AS id FROM unnest(${params.add(group.ids, 'text[]')}) AS e(pk) WHERE ${geoQueryToSql(group.subscription.geo as NonNullable<CompiledSubscription['geo']>, 'e', params)}`,
      );
      rows.push(
        ...(await tx.$queryRawUnsafe<{ n: number; id: string }[]>(
          `WITH entity_geo (entity_pk, attr, geom) AS (
             SELECT r.id, r.attr, ST_MakeValid(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(r.geom::text)), 4326))
               FROM jsonb_to_recordset(${source}) AS r(id text, attr text, geom jsonb))
           ${parts.join(' UNION ALL ')}`,
          ...params.values,
        )),
      );
    }
    const inside = new Set(rows.map((row) => `${row.n}\u0000${row.id}`));
    const verdict = new Map<Hit, boolean>();
    for (const group of numbered)
      for (const hit of group.hits) verdict.set(hit, inside.has(`${group.n}\u0000${hit.facts.state.id}`));
    return hits.filter((hit) => !hit.subscription.geo || verdict.get(hit) === true);
  }

  /**
   * Throttling (clause 5.8.6): a subscription notified less than `throttling` seconds ago gets
   * nothing now. Claimed in SQL, in this transaction, so that replicas share it and a batch the
   * store retries claims again (a claim in memory would outlive the rollback).
   */
  private async throttled(tx: SqlExecutor, hits: Hit[], notifiedAt: string): Promise<Hit[]> {
    const throttled = [
      ...new Set(
        hits.filter((hit) => hit.subscription.throttlingMs !== undefined).map((hit) => hit.subscription),
      ),
    ];
    if (throttled.length === 0) return hits;
    const claimed = await this.repository.claimThrottled(tx, throttled, notifiedAt);
    return hits.filter((hit) => hit.subscription.throttlingMs === undefined || claimed.has(hit.subscription));
  }

  /**
   * One notification per subscription and reason for the batch (split when large, and where an
   * entity changed again), entities in change order.
   */
  private render(hits: readonly Hit[], notifiedAt: string): OutboxItem[] {
    // Per subscription and reason, lists of entities in change order; an entity changed again in
    // the batch starts a new list, so a notification shows each entity once and the last one its
    // latest state.
    type Listed = { entities: NotifiedEntity[]; ids: Set<string> };
    const groups = new Map<CompiledSubscription, Map<NotificationTrigger, Listed[]>>();
    // A notification continues the trace of its first entity's change (the reading that caused it).
    const traces = new Map<NotifiedEntity, Context | undefined>();
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
      traces.set(rendered, hit.facts.change.trace);
      const byReason = groups.get(hit.subscription) ?? new Map<NotificationTrigger, Listed[]>();
      groups.set(hit.subscription, byReason);
      const lists = byReason.get(hit.reason) ?? [];
      byReason.set(hit.reason, lists);
      const current = lists[lists.length - 1];
      if (current && !current.ids.has(rendered.state.id)) {
        current.entities.push(rendered);
        current.ids.add(rendered.state.id);
      } else {
        lists.push({ entities: [rendered], ids: new Set([rendered.state.id]) });
      }
    }
    const items: OutboxItem[] = [];
    const limits = {
      maxEntities: this.config.subscriptions.maxEntitiesPerNotification,
      maxBytes: MAX_NOTIFICATION_BYTES,
    };
    for (const [subscription, byReason] of groups) {
      for (const [reason, lists] of byReason) {
        for (const chunk of lists.flatMap((list) => chunked(list.entities, limits))) {
          const first = chunk[0];
          items.push({ ...notificationEvent(subscription, chunk, notifiedAt, reason), trace: first && traces.get(first) });
        }
      }
    }
    return items;
  }
}

/** The geometries of one GeoProperty of the entity (every dataset). */
function geometriesOf(entity: StoredEntity, iri: string): unknown[] {
  return (entity.attrs[iri] ?? [])
    .filter((instance) => instance.type === 'GeoProperty' && instance.value !== undefined)
    .map((instance) => instance.value);
}

/** Every GeoProperty instance of the entity: [attribute IRI, geometry]. */
function geoInstancesOf(entity: StoredEntity): [string, unknown][] {
  return Object.entries(entity.attrs).flatMap(([iri, instances]) =>
    instances
      .filter((instance) => instance.type === 'GeoProperty' && instance.value !== undefined)
      .map((instance) => [iri, instance.value] as [string, unknown]),
  );
}
