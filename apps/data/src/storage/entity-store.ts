import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type Context, context } from '@opentelemetry/api';
import type { SqlExecutor } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Pool } from 'pg';
import type { DataConfig } from '../config';
import type { Mutation } from '../ngsi-ld/entity-mutations';
import { type StoredAttribute, type StoredEntity, subAttributesOf } from '../ngsi-ld/stored';
import { BatchTransaction } from './batch-transaction';
import { ENTITY_COLUMNS, type EntityRow, toStoredEntity } from './entity-rows';

/**
 * What one operation of a committed batch did to one entity: what the change hooks see (one
 * event, one notification check per operation, also when several operations of a batch change
 * the same entity: each reading is a change of its own).
 */
export interface EntityChange {
  tenant: string;
  before: StoredEntity | null;
  after: StoredEntity | null;
  /** Attribute IRIs whose instances were written or removed. */
  attributes: string[];
  at: string;
  /** The trace of the operation that made the change: its events and notifications continue it. */
  trace?: Context;
}

/**
 * Runs inside the batch's transaction after the entities are written (events, notifications).
 * Writes nobody reads back go through `tx.defer`: they reach the database with the batch's own.
 */
export type ChangeHook = (tx: BatchTransaction, changes: readonly EntityChange[]) => Promise<void> | void;

export interface EntityOperation<R = unknown> {
  tenant: string;
  entityId: string;
  mutate: Mutation<R>;
  /** The trace the operation belongs to (an observation's); `submit` takes the active one. */
  trace?: Context;
}

interface Pending {
  operation: EntityOperation;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

export type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** A concurrent writer created an entity this batch thought was new: run the batch again. */
class ConcurrentCreation extends Error {}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 5;

const keyOf = (tenant: string, id: string) => `${tenant}\u0000${id}`;

/**
 * The broker's one write path. Every write is a mutation of one entity; the store runs them in
 * batches, one transaction each: lock the entities, apply the mutations in order, write rows,
 * geometries and history, run the change hooks (outbox events), commit, then answer each
 * caller. API writes are group-committed: requests arriving while a batch commits form the
 * next one, on a lane chosen by entity, so one entity's writes keep their order.
 */
@Injectable()
export class EntityStore implements OnModuleInit {
  private readonly hooks: ChangeHook[] = [];
  private readonly committedListeners: (() => void)[] = [];
  private readonly lanes: Pending[][];
  private readonly draining: boolean[];
  private readonly idle: (() => void)[] = [];
  private stopping = false;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
  ) {
    this.lanes = Array.from({ length: config.writes.lanes }, () => []);
    this.draining = this.lanes.map(() => false);
  }

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'entity-writer',
      start: () => {
        this.stopping = false;
      },
      stop: () => this.drained(),
      isRunning: () => !this.stopping,
    });
  }

  /** Registers a hook run in every batch's transaction (in registration order). */
  onChanges(hook: ChangeHook): void {
    this.hooks.push(hook);
  }

  /** Called after every commit that changed something (e.g. to wake the outbox relay). */
  onCommitted(listener: () => void): void {
    this.committedListeners.push(listener);
  }

  /** Queues one mutation; resolves with its result once its batch committed, or rejects with its own error. */
  submit<R>(request: EntityOperation<R>): Promise<R> {
    // Batched with other requests' operations, written later: the request's trace goes with it.
    const operation = request.trace ? request : { ...request, trace: context.active() };
    return new Promise<R>((resolve, reject) => {
      const lane = laneOf(operation, this.lanes.length);
      this.lanes[lane]?.push({ operation, resolve: resolve as (result: unknown) => void, reject });
      if (!this.draining[lane]) {
        this.draining[lane] = true;
        setImmediate(() => void this.drain(lane));
      }
    });
  }

  /**
   * Applies operations as one transaction, now (the consumer path: its batch is already made).
   * `prologue` runs first in the same transaction and returns the operations to apply (e.g.
   * those whose events were not processed before). Resolves with each operation's outcome.
   */
  async applyBatch(prologue: (tx: SqlExecutor) => Promise<EntityOperation[]>): Promise<Outcome[]> {
    return this.withRetries(async (tx) => this.apply(tx, await prologue(tx)));
  }

  private async drain(lane: number): Promise<void> {
    const queue = this.lanes[lane] as Pending[];
    while (queue.length > 0) {
      const batch = queue.splice(0, this.config.writes.maxBatch);
      await this.commitIsolating(batch);
    }
    this.draining[lane] = false;
    if (this.draining.every((busy) => !busy)) for (const done of this.idle.splice(0)) done();
  }

  /** Commits a batch; when it fails as a whole, halves it until the failing operation stands alone. */
  private async commitIsolating(batch: Pending[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.withRetries((tx) => this.apply(tx, batch.map((pending) => pending.operation)));
    } catch (error) {
      if (batch.length === 1) {
        this.logger.error({ err: error, entity: batch[0]?.operation.entityId }, 'entity write failed');
        batch[0]?.reject(error);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.commitIsolating(batch.slice(0, half));
      await this.commitIsolating(batch.slice(half));
      return;
    }
    outcomes.forEach((outcome, i) => {
      const pending = batch[i] as Pending;
      if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
  }

  private async withRetries<T>(work: (tx: BatchTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx = new BatchTransaction(client);
        const result = await work(tx);
        await tx.flush();
        await client.query('COMMIT');
        for (const listener of this.committedListeners) listener();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        const retryable = error instanceof ConcurrentCreation || RETRYABLE_SQLSTATES.has((error as { code?: string }).code ?? '');
        if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  /** Locks, mutates and writes the entities of `operations` in the batch's transaction. */
  private async apply(tx: BatchTransaction, operations: readonly EntityOperation[]): Promise<Outcome[]> {
    if (operations.length === 0) return [];
    const now = new Date().toISOString();
    const keys = new Map<string, { tenant: string; id: string }>();
    for (const { tenant, entityId } of operations) keys.set(keyOf(tenant, entityId), { tenant, id: entityId });
    const wanted = [...keys.values()].sort((a, b) => (a.tenant === b.tenant ? (a.id < b.id ? -1 : 1) : a.tenant < b.tenant ? -1 : 1));
    const rows = await tx.$queryRawUnsafe<(EntityRow & { tenant: string })[]>(
      `SELECT e.tenant, ${ENTITY_COLUMNS} FROM entity e
        WHERE (e.tenant, e.id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        ORDER BY e.tenant, e.id FOR UPDATE`,
      wanted.map((key) => key.tenant),
      wanted.map((key) => key.id),
    );
    const original = new Map<string, StoredEntity>();
    const pks = new Map<string, string>();
    for (const row of rows) {
      original.set(keyOf(row.tenant, row.id), toStoredEntity(row));
      pks.set(keyOf(row.tenant, row.id), String(row.pk));
    }
    const state = new Map<string, StoredEntity | null>(original);

    // Each operation's change goes to the hooks and its instances to the history, also when a
    // later operation of the batch changes the entity again; the rows get the net result.
    const history: object[] = [];
    const changes: EntityChange[] = [];
    const outcomes: Outcome[] = operations.map((operation) => {
      const key = keyOf(operation.tenant, operation.entityId);
      try {
        const previous = state.get(key) ?? null;
        const change = operation.mutate(previous, now);
        state.set(key, change.next);
        if (change.next !== previous) {
          const made: EntityChange = {
            tenant: operation.tenant,
            before: previous,
            after: change.next,
            attributes: stampChanges(previous, change.next, now),
            at: now,
            trace: operation.trace,
          };
          changes.push(made);
          history.push(...historyRowsOf(made));
        }
        return { ok: true, result: change.result };
      } catch (error) {
        return { ok: false, error };
      }
    });
    if (changes.length === 0) return outcomes;

    const net: EntityChange[] = [];
    for (const [key, after] of state) {
      const before = original.get(key) ?? null;
      if (after === before) continue;
      const { tenant } = keys.get(key) as { tenant: string };
      net.push({ tenant, before, after, attributes: stampChanges(before, after, now), at: now });
    }
    await this.write(tx, net, pks, history);
    for (const hook of this.hooks) await hook(tx, changes);
    return outcomes;
  }

  /**
   * Writes the changed rows; `pks` (tenant + id → pk) learns the pks of inserted entities. Only
   * the inserts run now (their pks are needed); the rest is deferred to the batch's one statement.
   */
  private async write(tx: BatchTransaction, changes: EntityChange[], pks: Map<string, string>, history: object[]): Promise<void> {
    const inserts = changes.filter((change) => !change.before && change.after);
    const updates = changes.filter((change) => change.before && change.after);
    const deletes = changes.filter((change) => change.before && !change.after);
    const pkOf = (change: EntityChange) => pks.get(keyOf(change.tenant, (change.before ?? change.after)?.id as string));

    if (inserts.length > 0) {
      // The tenant row in the same statement: the entity's foreign key is checked at its end.
      const rows = await tx.$queryRawUnsafe<{ pk: string; tenant: string; id: string }[]>(
        `WITH tenants AS (INSERT INTO tenant (name) SELECT DISTINCT unnest($2::text[]) ON CONFLICT DO NOTHING)
         INSERT INTO entity (tenant, id, types, scopes, attrs, created_at, modified_at)
         SELECT r.tenant, r.id, ARRAY(SELECT jsonb_array_elements_text(r.types)), ARRAY(SELECT jsonb_array_elements_text(r.scopes)),
                r.attrs, r.created_at, r.modified_at
           FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, id text, types jsonb, scopes jsonb, attrs jsonb, created_at timestamptz, modified_at timestamptz)
         ON CONFLICT (tenant, id) DO NOTHING
         RETURNING pk::text, tenant, id`,
        JSON.stringify(inserts.map((change) => rowOf(change.tenant, change.after as StoredEntity))),
        inserts.map((change) => change.tenant),
      );
      if (rows.length < inserts.length) throw new ConcurrentCreation('an entity of the batch was created concurrently');
      for (const row of rows) pks.set(keyOf(row.tenant, row.id), row.pk);
    }
    if (updates.length > 0) {
      tx.defer(
        `UPDATE entity e SET types = ARRAY(SELECT jsonb_array_elements_text(r.types)), scopes = ARRAY(SELECT jsonb_array_elements_text(r.scopes)),
                attrs = r.attrs, modified_at = r.modified_at
           FROM jsonb_to_recordset($1::jsonb) AS r(pk bigint, types jsonb, scopes jsonb, attrs jsonb, modified_at timestamptz)
          WHERE e.pk = r.pk`,
        JSON.stringify(updates.map((change) => ({ pk: pkOf(change), ...rowOf(change.tenant, change.after as StoredEntity) }))),
      );
    }
    // Their geometries go with them (ON DELETE CASCADE).
    if (deletes.length > 0) tx.defer('DELETE FROM entity WHERE pk = ANY($1::bigint[])', deletes.map(pkOf));

    // Indexed 2-D and made valid (a self-intersecting polygon would fail GEOS at query time); the
    // entity keeps the geometry as given.
    // Deferred together, the removal and the upsert touch different rows: the one takes the
    // geometries an entity no longer has, the other writes those it has.
    const geoChanged = [...inserts, ...updates].filter((change) => !sameGeometries(change.before, change.after));
    if (geoChanged.length > 0) {
      const geo = JSON.stringify(geoChanged.flatMap((change) => geoRowsOf(pkOf(change) as string, change.after as StoredEntity)));
      tx.defer(
        `DELETE FROM entity_geo g WHERE g.entity_pk = ANY($1::bigint[])
            AND (g.entity_pk, g.attr, g.dataset_id) NOT IN (SELECT r.pk, r.attr, r.dataset_id FROM jsonb_to_recordset($2::jsonb) AS r(pk bigint, attr text, dataset_id text))`,
        geoChanged.map(pkOf),
        geo,
      );
      tx.defer(
        `INSERT INTO entity_geo (entity_pk, attr, dataset_id, geom)
         SELECT r.pk, r.attr, r.dataset_id, ST_MakeValid(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(r.geom::text)), 4326))
           FROM jsonb_to_recordset($1::jsonb) AS r(pk bigint, attr text, dataset_id text, geom jsonb)
         ON CONFLICT (entity_pk, attr, dataset_id) DO UPDATE SET geom = EXCLUDED.geom`,
        geo,
      );
    }

    if (history.length > 0) {
      tx.defer(
        `INSERT INTO attribute_instance (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, deleted, instance)
         SELECT r.tenant, r.entity_id, r.attr, r.dataset_id, r.instance_id, COALESCE(r.observed_at, r.modified_at), r.observed_at,
                r.created_at, r.modified_at, r.deleted, r.instance
           FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, entity_id text, attr text, dataset_id text, instance_id uuid,
                observed_at timestamptz, created_at timestamptz, modified_at timestamptz, deleted boolean, instance jsonb)`,
        JSON.stringify(history),
      );
    }
  }

  /** Resolves once every queued write has committed (shutdown). */
  private drained(): Promise<void> {
    this.stopping = true;
    if (this.draining.every((busy) => !busy)) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function laneOf(operation: EntityOperation, lanes: number): number {
  if (lanes === 1) return 0;
  return createHash('md5').update(keyOf(operation.tenant, operation.entityId)).digest().readUInt32LE(0) % lanes;
}

function rowOf(tenant: string, entity: StoredEntity) {
  return { tenant, id: entity.id, types: entity.types, scopes: entity.scopes, attrs: entity.attrs, created_at: entity.createdAt, modified_at: entity.modifiedAt };
}

function geoInstances(entity: StoredEntity | null): [string, StoredAttribute][] {
  if (!entity) return [];
  return Object.entries(entity.attrs).flatMap(([iri, instances]) => instances.filter((instance) => instance.type === 'GeoProperty').map((instance) => [iri, instance] as [string, StoredAttribute]));
}

/** Whether the two states index the same geometries (an observation rewrites an unchanged location). */
function sameGeometries(before: StoredEntity | null, after: StoredEntity | null): boolean {
  const was = geoInstances(before);
  const is = geoInstances(after);
  return (
    was.length === is.length &&
    was.every(([iri, instance], i) => {
      const [otherIri, other] = is[i] as [string, StoredAttribute];
      return iri === otherIri && (instance === other || ((instance.datasetId ?? '') === (other.datasetId ?? '') && isDeepStrictEqual(instance.value, other.value)));
    })
  );
}

function geoRowsOf(pk: string, entity: StoredEntity) {
  return geoInstances(entity).map(([iri, instance]) => ({ pk, attr: iri, dataset_id: instance.datasetId ?? '', geom: instance.value }));
}

/**
 * Stamps what the change wrote with the batch's time and names the attributes it changed.
 * Mutations keep what they leave alone by reference, so a new object is a written instance:
 * its modifiedAt is now, its createdAt kept from the instance it replaced (same datasetId).
 */
function stampChanges(before: StoredEntity | null, after: StoredEntity | null, now: string): string[] {
  const changed = new Set<string>();
  if (after) {
    if (!before) after.createdAt = now;
    after.modifiedAt = now;
    for (const [iri, instances] of Object.entries(after.attrs)) {
      const previous = before?.attrs[iri] ?? [];
      for (const instance of instances) {
        if (previous.includes(instance)) continue;
        const replaced = previous.find((candidate) => (candidate.datasetId ?? '') === (instance.datasetId ?? ''));
        stampInstance(instance, replaced, now);
        changed.add(iri);
      }
    }
  }
  for (const [iri, instances] of Object.entries(before?.attrs ?? {})) {
    const remaining = after?.attrs[iri] ?? [];
    if (instances.some((instance) => !remaining.some((kept) => (kept.datasetId ?? '') === (instance.datasetId ?? '')))) changed.add(iri);
  }
  return [...changed];
}

function stampInstance(instance: StoredAttribute, replaced: StoredAttribute | undefined, now: string): void {
  instance.createdAt = replaced?.createdAt ?? now;
  instance.modifiedAt = now;
  for (const [iri, sub] of subAttributesOf(instance)) {
    const previous = replaced?.[iri] as StoredAttribute | undefined;
    if (sub !== previous && typeof sub === 'object' && sub !== null) stampInstance(sub, previous, now);
  }
}

/** History rows: every instance written by the change, and a deletion row for every instance it removed. */
function historyRowsOf(change: EntityChange) {
  const entityId = (change.after ?? change.before)?.id as string;
  const rows: object[] = [];
  for (const iri of change.attributes) {
    const after = change.after?.attrs[iri] ?? [];
    for (const instance of after) {
      if (change.before?.attrs[iri]?.includes(instance)) continue;
      rows.push(historyRow(change.tenant, entityId, iri, instance, false, change.at));
    }
    for (const instance of change.before?.attrs[iri] ?? []) {
      if (after.some((kept) => (kept.datasetId ?? '') === (instance.datasetId ?? ''))) continue;
      rows.push(historyRow(change.tenant, entityId, iri, instance, true, change.at));
    }
  }
  return rows;
}

function historyRow(tenant: string, entityId: string, attr: string, instance: StoredAttribute, deleted: boolean, at: string) {
  return {
    tenant,
    entity_id: entityId,
    attr,
    dataset_id: instance.datasetId ?? '',
    instance_id: randomUUID(),
    observed_at: deleted ? null : (instance.observedAt ?? null),
    created_at: instance.createdAt,
    modified_at: deleted ? at : instance.modifiedAt,
    deleted,
    instance,
  };
}
