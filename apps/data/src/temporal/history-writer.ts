import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import type { StoredAttribute, StoredEntity } from '../ngsi-ld/stored';
import type { BatchTransaction } from '../storage/batch-transaction';
import { type EntityChange, EntityStore } from '../storage/entity-store';
import { HistoryPartitions } from './history-partitions';

/** One instance to write to the history. */
export interface NewInstance {
  attr: string;
  instance: StoredAttribute;
}

const INSERT_INSTANCES = `INSERT INTO attribute_instance (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, deleted, instance)
  SELECT r.tenant, r.entity_id, r.attr, r.dataset_id, r.instance_id, COALESCE(r.observed_at, r.modified_at), r.observed_at, r.created_at, r.modified_at, false, r.instance
    FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, entity_id text, attr text, dataset_id text, instance_id uuid,
         observed_at timestamptz, created_at timestamptz, modified_at timestamptz, instance jsonb)`;

/**
 * Writes of the temporal API (clauses 5.6.11-5.6.18), straight to the history: they add,
 * change or remove instances of the past and never touch the current state of an entity (which
 * is what the entity API and observations change, and which lands in the history through the
 * entity store). Also keeps `temporal_entity` in step with the entity store's changes, in the
 * same transaction, so that history stays findable after DELETE /entities/{id}.
 */
@Injectable()
export class HistoryWriter implements OnModuleInit {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    private readonly store: EntityStore,
    private readonly partitions: HistoryPartitions,
  ) {}

  onModuleInit(): void {
    this.store.onChanges((tx, changes) => this.recordEntities(tx, changes));
  }

  private recordEntities(tx: BatchTransaction, changes: readonly EntityChange[]): void {
    // One row per entity: its last change in the batch (an upsert may not touch a row twice).
    const last = new Map<string, EntityChange>();
    for (const change of changes) last.set(`${change.tenant}\u0000${(change.after ?? change.before)?.id}`, change);
    const latest = [...last.values()];
    const present = latest.filter((change) => change.after).map((change) => rowOf(change.tenant, change.after as StoredEntity, change.at));
    const gone = latest.filter((change) => !change.after && change.before).map((change) => ({ tenant: change.tenant, id: change.before?.id, at: change.at }));
    if (present.length > 0) {
      tx.defer(
        `INSERT INTO temporal_entity (tenant, id, types, scopes, created_at, modified_at, deleted_at)
         SELECT r.tenant, r.id, ARRAY(SELECT jsonb_array_elements_text(r.types)), ARRAY(SELECT jsonb_array_elements_text(r.scopes)), r.created_at, r.modified_at, NULL
           FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, id text, types jsonb, scopes jsonb, created_at timestamptz, modified_at timestamptz)
         ON CONFLICT (tenant, id) DO UPDATE SET types = EXCLUDED.types, scopes = EXCLUDED.scopes, modified_at = EXCLUDED.modified_at, deleted_at = NULL,
                created_at = LEAST(temporal_entity.created_at, EXCLUDED.created_at)`,
        JSON.stringify(present),
      );
    }
    if (gone.length > 0) {
      tx.defer(
        `UPDATE temporal_entity te SET deleted_at = r.at, modified_at = r.at
           FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, id text, at timestamptz) WHERE te.tenant = r.tenant AND te.id = r.id`,
        JSON.stringify(gone),
      );
    }
  }

  /** Creates the temporal entity or adds to it (POST /temporal/entities); true when it is new. */
  async createOrAdd(tenant: string, entity: { id: string; types: string[]; scopes?: string[] }, instances: readonly NewInstance[], now: string): Promise<boolean> {
    await this.partitions.ensureFor(instances.map(({ instance }) => instance.observedAt ?? now));
    return this.transaction(async (client) => {
      await client.query('INSERT INTO tenant (name) VALUES ($1) ON CONFLICT DO NOTHING', [tenant]);
      const { rows } = await client.query<{ created: boolean }>(
        `INSERT INTO temporal_entity (tenant, id, types, scopes, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (tenant, id) DO UPDATE SET types = ARRAY(SELECT DISTINCT t FROM unnest(temporal_entity.types || EXCLUDED.types) t),
                scopes = CASE WHEN $6 THEN EXCLUDED.scopes ELSE temporal_entity.scopes END, modified_at = EXCLUDED.modified_at
         RETURNING (xmax = 0) AS created`,
        [tenant, entity.id, entity.types, entity.scopes ?? [], now, entity.scopes !== undefined],
      );
      await this.insert(client, tenant, entity.id, instances);
      return rows[0]?.created ?? false;
    });
  }

  /** Adds instances to a temporal entity (POST /temporal/entities/{id}/attrs); false when there is none. */
  async add(tenant: string, id: string, instances: readonly NewInstance[], now: string): Promise<boolean> {
    await this.partitions.ensureFor(instances.map(({ instance }) => instance.observedAt ?? now));
    return this.transaction(async (client) => {
      const { rowCount } = await client.query('UPDATE temporal_entity SET modified_at = $3 WHERE tenant = $1 AND id = $2', [tenant, id, now]);
      if (!rowCount) return false;
      await this.insert(client, tenant, id, instances);
      return true;
    });
  }

  /** Removes the temporal entity and all its history (DELETE /temporal/entities/{id}). */
  async deleteEntity(tenant: string, id: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM temporal_entity WHERE tenant = $1 AND id = $2', [tenant, id]);
      await client.query('DELETE FROM attribute_instance WHERE tenant = $1 AND entity_id = $2', [tenant, id]);
      return (rowCount ?? 0) > 0;
    });
  }

  /** Removes an attribute's instances: the default ones, one datasetId's, or all (deleteAll). */
  async deleteAttribute(tenant: string, id: string, attr: string, selection: { datasetId?: string; deleteAll: boolean }): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM attribute_instance WHERE tenant = $1 AND entity_id = $2 AND attr = $3 AND ($4 OR dataset_id = $5)`,
      [tenant, id, attr, selection.deleteAll, selection.datasetId ?? ''],
    );
    return rowCount ?? 0;
  }

  /** Changes one instance (PATCH .../attrs/{attrId}/{instanceId}): the members given replace its own. */
  async modifyInstance(tenant: string, id: string, attr: string, instanceId: string, change: (current: StoredAttribute) => StoredAttribute): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ instance: StoredAttribute }>(
        'SELECT instance FROM attribute_instance WHERE instance_id = $1 AND tenant = $2 AND entity_id = $3 AND attr = $4 AND NOT deleted FOR UPDATE',
        [instanceId, tenant, id, attr],
      );
      if (!rows[0]) return false;
      const next = change(rows[0].instance);
      if (next.observedAt) await this.partitions.ensureFor([next.observedAt]);
      await client.query(
        `UPDATE attribute_instance SET instance = $5, observed_at = $6, modified_at = $7, ts = COALESCE($6, ts)
          WHERE instance_id = $1 AND tenant = $2 AND entity_id = $3 AND attr = $4`,
        [instanceId, tenant, id, attr, JSON.stringify(next), next.observedAt ?? null, next.modifiedAt],
      );
      return true;
    });
  }

  async deleteInstance(tenant: string, id: string, attr: string, instanceId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM attribute_instance WHERE instance_id = $1 AND tenant = $2 AND entity_id = $3 AND attr = $4', [instanceId, tenant, id, attr]);
    return (rowCount ?? 0) > 0;
  }

  private async insert(client: PoolClient, tenant: string, id: string, instances: readonly NewInstance[]): Promise<void> {
    if (instances.length === 0) return;
    const rows = instances.map(({ attr, instance }) => ({
      tenant,
      entity_id: id,
      attr,
      dataset_id: instance.datasetId ?? '',
      instance_id: randomUUID(),
      observed_at: instance.observedAt ?? null,
      created_at: instance.createdAt,
      modified_at: instance.modifiedAt,
      instance,
    }));
    await client.query(INSERT_INSTANCES, [JSON.stringify(rows)]);
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function rowOf(tenant: string, entity: StoredEntity, at: string) {
  return { tenant, id: entity.id, types: entity.types, scopes: entity.scopes, created_at: entity.createdAt, modified_at: at };
}
