import { Inject, Injectable } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import { SqlParams } from '../storage/sql-params';
import { ANY, type RetentionPolicy, specificity } from './retention-policy';

const COLUMNS = `tenant, entity_type AS "entityType", attr, raw_days AS "rawDays", rollup_days AS "rollupDays", updated_at AS "updatedAt", updated_by AS "updatedBy"`;

/** Rows removed in one purge statement, so that no transaction holds locks for long. */
const CHUNK = 10_000;

export interface PurgeCount {
  instances: number;
  rollups: number;
}

@Injectable()
export class RetentionRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async list(tenant?: string): Promise<RetentionPolicy[]> {
    const { rows } = await this.pool.query<RetentionPolicy>(`SELECT ${COLUMNS} FROM retention_policy WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, entity_type, attr`, [tenant ?? null]);
    return rows;
  }

  async upsert(policy: Omit<RetentionPolicy, 'updatedAt'>): Promise<RetentionPolicy> {
    const { rows } = await this.pool.query<RetentionPolicy>(
      `INSERT INTO retention_policy (tenant, entity_type, attr, raw_days, rollup_days, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant, entity_type, attr) DO UPDATE SET raw_days = EXCLUDED.raw_days, rollup_days = EXCLUDED.rollup_days, updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING ${COLUMNS}`,
      [policy.tenant, policy.entityType, policy.attr, policy.rawDays, policy.rollupDays, policy.updatedBy],
    );
    return rows[0] as RetentionPolicy;
  }

  async delete(tenant: string, entityType: string, attr: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM retention_policy WHERE tenant = $1 AND entity_type = $2 AND attr = $3', [tenant, entityType, attr]);
    return (rowCount ?? 0) > 0;
  }

  /** Runs `work` holding the purge lock, or returns undefined when another replica holds it. */
  async exclusively<T>(lock: number, work: (client: PoolClient) => Promise<T>): Promise<T | undefined> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [lock]);
      if (!rows[0]?.locked) return undefined;
      try {
        return await work(client);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lock]);
      }
    } finally {
      client.release();
    }
  }

  /**
   * Removes what `policy` no longer keeps: raw instances before `rawBefore` and rollups before
   * `rollupBefore`, of the series it governs — those of its scope that no more specific policy
   * of the tenant claims. Whole hours go (the cut-offs are hour-aligned), so the rollups of the
   * hours that stay are exact.
   */
  async purge(client: PoolClient, policy: RetentionPolicy, all: readonly RetentionPolicy[], rawBefore: Date, rollupBefore: Date): Promise<PurgeCount> {
    const claimedElsewhere = all.filter((other) => other.tenant === policy.tenant && specificity(other) > specificity(policy) && (policy.entityType === ANY || other.entityType === policy.entityType));
    let instances = 0;
    await client.query("SELECT set_config('urbis.retention_purge', 'on', false)");
    try {
      for (;;) {
        const params = new SqlParams();
        const where = seriesOf('a', policy, claimedElsewhere, params);
        const { rowCount } = await client.query(
          `DELETE FROM attribute_instance WHERE instance_id IN (SELECT a.instance_id FROM attribute_instance a WHERE ${where} AND a.ts < ${params.add(rawBefore.toISOString(), 'timestamptz')} LIMIT ${CHUNK})`,
          params.values,
        );
        instances += rowCount ?? 0;
        if ((rowCount ?? 0) < CHUNK) break;
      }
    } finally {
      await client.query("SELECT set_config('urbis.retention_purge', 'off', false)");
    }
    const params = new SqlParams();
    const where = seriesOf('r', policy, claimedElsewhere, params);
    const { rowCount } = await client.query(`DELETE FROM attribute_rollup r WHERE ${where} AND r.hour < ${params.add(rollupBefore.toISOString(), 'timestamptz')}`, params.values);
    return { instances, rollups: rowCount ?? 0 };
  }
}

/** The series (rows of `alias`: tenant, entity_id, attr) a policy governs: its scope minus what more specific policies claim. */
function seriesOf(alias: string, policy: RetentionPolicy, claimedElsewhere: readonly RetentionPolicy[], params: SqlParams): string {
  const typed = (type: string) => `EXISTS (SELECT 1 FROM temporal_entity te WHERE te.tenant = ${alias}.tenant AND te.id = ${alias}.entity_id AND te.types @> ARRAY[${params.add(type)}])`;
  const clauses = [`${alias}.tenant = ${params.add(policy.tenant)}`];
  if (policy.entityType !== ANY) clauses.push(typed(policy.entityType));
  if (policy.attr !== ANY) clauses.push(`${alias}.attr = ${params.add(policy.attr)}`);
  for (const other of claimedElsewhere) clauses.push(`NOT (${typed(other.entityType)}${other.attr !== ANY ? ` AND ${alias}.attr = ${params.add(other.attr)}` : ''})`);
  return clauses.join(' AND ');
}
