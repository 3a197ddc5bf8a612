import { Inject, Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@urbis/messaging';
import { Pool, type PoolClient } from 'pg';
import { typeSelectionSql, parseTypeSelection } from '../ngsi-ld/type-selection';
import type { StoredEntity } from '../ngsi-ld/stored';
import { geoQueryToSql, qToSql, scopeQToSql } from '../query';
import { ENTITY_COLUMNS, type EntityRow, toStoredEntity } from '../storage/entity-rows';
import { SqlParams } from '../storage/sql-params';
import type { StoredSubscription, SubscriptionBody } from './subscription';
import type { CompiledSubscription } from './subscription-matcher';

/** The channel every replica listens on: `[tenant, id]` of a subscription that changed. */
export const SUBSCRIPTIONS_CHANNEL = 'ngsi_ld_subscriptions';

const COLUMNS = `s.tenant, s.body, s.context, s.context_link, s.owner, s.times_sent, s.times_failed,
  s.last_notification, s.last_success, s.last_failure, s.created_at, s.modified_at`;

interface SubscriptionRow {
  tenant: string;
  body: SubscriptionBody;
  context: unknown;
  context_link: string;
  owner: StoredSubscription['owner'];
  times_sent: string;
  times_failed: string;
  last_notification: Date | null;
  last_success: Date | null;
  last_failure: Date | null;
  created_at: Date;
  modified_at: Date;
}

function toStored(row: SubscriptionRow): StoredSubscription {
  return {
    tenant: row.tenant,
    body: row.body,
    context: row.context,
    contextLink: row.context_link,
    owner: row.owner,
    timesSent: Number(row.times_sent),
    timesFailed: Number(row.times_failed),
    ...(row.last_notification && { lastNotification: row.last_notification.toISOString() }),
    ...(row.last_success && { lastSuccess: row.last_success.toISOString() }),
    ...(row.last_failure && { lastFailure: row.last_failure.toISOString() }),
    createdAt: row.created_at.toISOString(),
    modifiedAt: row.modified_at.toISOString(),
  };
}

/** The columns SQL reads, from the body. */
function columnsOf(body: SubscriptionBody) {
  return {
    isActive: body.isActive ?? true,
    expiresAt: body.expiresAt ?? null,
    timeInterval: body.timeInterval ?? null,
    throttling: body.throttling ?? null,
  };
}

/** One delivery outcome reported by the integration service, summed per subscription. */
export interface DeliveryTally {
  tenant: string;
  subscriptionId: string;
  sent: number;
  failed: number;
  lastNotification?: string;
  lastSuccess?: string;
  lastFailure?: string;
}

/** A periodic subscription whose time has come, locked for this transaction. */
export interface DueSubscription {
  tenant: string;
  id: string;
  nextNotificationAt: Date;
}

/** Subscriptions in SQL: their lifecycle, the periodic schedule, throttling claims and delivery status. */
@Injectable()
export class SubscriptionsRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  /** Stores a new subscription; false when the tenant already has one with that id. Replicas are told in the same transaction. */
  async create(subscription: StoredSubscription): Promise<boolean> {
    return this.transaction(async (client) => {
      const { body } = subscription;
      const columns = columnsOf(body);
      await client.query('INSERT INTO tenant (name) VALUES ($1) ON CONFLICT DO NOTHING', [
        subscription.tenant,
      ]);
      const { rowCount } = await client.query(
        `INSERT INTO subscription (tenant, id, body, context, context_link, owner, is_active, expires_at, time_interval, throttling,
                                   next_notification_at, created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $9::float8 IS NULL THEN NULL ELSE $11::timestamptz + make_interval(secs => $9) END, $11, $11)
         ON CONFLICT (tenant, id) DO NOTHING`,
        [
          subscription.tenant,
          body.id,
          JSON.stringify(body),
          JSON.stringify(subscription.context ?? null),
          subscription.contextLink,
          JSON.stringify(subscription.owner),
          columns.isActive,
          columns.expiresAt,
          columns.timeInterval,
          columns.throttling,
          subscription.createdAt,
        ],
      );
      if ((rowCount ?? 0) === 0) return false;
      await notify(client, subscription.tenant, body.id);
      return true;
    });
  }

  async find(tenant: string, id: string): Promise<StoredSubscription | null> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      `SELECT ${COLUMNS} FROM subscription s WHERE s.tenant = $1 AND s.id = $2`,
      [tenant, id],
    );
    return rows[0] ? toStored(rows[0]) : null;
  }

  async list(
    tenant: string,
    page: { limit: number; offset: number },
  ): Promise<{ subscriptions: StoredSubscription[]; total: number }> {
    const [{ rows }, counted] = await Promise.all([
      this.pool.query<SubscriptionRow>(
        `SELECT ${COLUMNS} FROM subscription s WHERE s.tenant = $1 ORDER BY s.seq LIMIT $2 OFFSET $3`,
        [tenant, page.limit, page.offset],
      ),
      this.pool.query<{ count: string }>('SELECT count(*) AS count FROM subscription WHERE tenant = $1', [
        tenant,
      ]),
    ]);
    return { subscriptions: rows.map(toStored), total: Number(counted.rows[0]?.count ?? 0) };
  }

  /** Every subscription of every tenant (the matching index is built from it). */
  async all(): Promise<StoredSubscription[]> {
    const { rows } = await this.pool.query<SubscriptionRow>(
      `SELECT ${COLUMNS} FROM subscription s ORDER BY s.seq`,
    );
    return rows.map(toStored);
  }

  /**
   * Applies `change` to the subscription under a row lock; null when it does not exist. The
   * periodic schedule restarts when timeInterval changes or the subscription is resumed.
   */
  async update(
    tenant: string,
    id: string,
    change: (current: StoredSubscription) => Promise<StoredSubscription> | StoredSubscription,
  ): Promise<StoredSubscription | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<SubscriptionRow>(
        `SELECT ${COLUMNS} FROM subscription s WHERE s.tenant = $1 AND s.id = $2 FOR UPDATE`,
        [tenant, id],
      );
      if (!rows[0]) return null;
      const current = toStored(rows[0]);
      const next = await change(current);
      const columns = columnsOf(next.body);
      const reschedule =
        next.body.timeInterval !== current.body.timeInterval ||
        (next.body.isActive ?? true) !== (current.body.isActive ?? true);
      await client.query(
        `UPDATE subscription SET body = $3, context = $4, context_link = $5, is_active = $6, expires_at = $7, time_interval = $8, throttling = $9,
                next_notification_at = CASE WHEN $8::float8 IS NULL THEN NULL WHEN $11 THEN $10::timestamptz + make_interval(secs => $8) ELSE next_notification_at END,
                modified_at = $10
          WHERE tenant = $1 AND id = $2`,
        [
          tenant,
          id,
          JSON.stringify(next.body),
          JSON.stringify(next.context ?? null),
          next.contextLink,
          columns.isActive,
          columns.expiresAt,
          columns.timeInterval,
          columns.throttling,
          next.modifiedAt,
          reschedule,
        ],
      );
      await notify(client, tenant, id);
      return next;
    });
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM subscription WHERE tenant = $1 AND id = $2', [
        tenant,
        id,
      ]);
      if ((rowCount ?? 0) === 0) return false;
      await notify(client, tenant, id);
      return true;
    });
  }

  /**
   * Throttling across replicas (clause 5.8.6): claims the right to notify now for each of the
   * subscriptions whose throttling period has passed, in the caller's transaction. Rows are
   * locked in key order, so two batches claiming the same subscriptions wait instead of deadlocking.
   */
  async claimThrottled(
    tx: SqlExecutor,
    subscriptions: readonly CompiledSubscription[],
    at: string,
  ): Promise<Set<CompiledSubscription>> {
    if (subscriptions.length === 0) return new Set();
    const rows = await tx.$queryRawUnsafe<{ tenant: string; id: string }[]>(
      `WITH due AS (
         SELECT s.seq FROM subscription s JOIN unnest($1::text[], $2::text[]) AS c(tenant, id) ON s.tenant = c.tenant AND s.id = c.id
          WHERE s.throttled_at IS NULL OR s.throttled_at + make_interval(secs => s.throttling) <= $3::timestamptz
          ORDER BY s.seq FOR UPDATE OF s)
       UPDATE subscription s SET throttled_at = $3::timestamptz FROM due WHERE s.seq = due.seq RETURNING s.tenant, s.id`,
      subscriptions.map((subscription) => subscription.tenant),
      subscriptions.map((subscription) => subscription.id),
      at,
    );
    const claimed = new Set(rows.map((row) => `${row.tenant}\u0000${row.id}`));
    return new Set(
      subscriptions.filter((subscription) => claimed.has(`${subscription.tenant}\u0000${subscription.id}`)),
    );
  }

  /** Periodic subscriptions due now, locked (SKIP LOCKED: each is taken by one replica per tick). */
  async due(tx: SqlExecutor, limit: number): Promise<DueSubscription[]> {
    const rows = await tx.$queryRawUnsafe<{ tenant: string; id: string; next_notification_at: Date }[]>(
      `SELECT tenant, id, next_notification_at FROM subscription
        WHERE time_interval IS NOT NULL AND next_notification_at <= now() AND is_active AND (expires_at IS NULL OR expires_at > now())
        ORDER BY next_notification_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      limit,
    );
    return rows.map((row) => ({
      tenant: row.tenant,
      id: row.id,
      nextNotificationAt: row.next_notification_at,
    }));
  }

  /** The next periodic notification: one interval on, or one interval from now when ticks were missed. */
  async reschedule(tx: SqlExecutor, due: DueSubscription): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE subscription SET next_notification_at = CASE
          WHEN next_notification_at + make_interval(secs => time_interval) > now() THEN next_notification_at + make_interval(secs => time_interval)
          ELSE now() + make_interval(secs => time_interval) END
        WHERE tenant = $1 AND id = $2`,
      due.tenant,
      due.id,
    );
  }

  /** The entities a periodic subscription selects now (entity selectors, q, scopeQ, geoQ), in the caller's transaction. */
  async selectedEntities(
    tx: SqlExecutor,
    subscription: CompiledSubscription,
    limit: number,
  ): Promise<StoredEntity[]> {
    const params = new SqlParams();
    const where = [`e.tenant = ${params.add(subscription.tenant)}`];
    const selectors = (subscription.stored.body.entities ?? []).map((selector) => {
      const parts = [
        typeSelectionSql(
          parseTypeSelection(selector.type, (iri) => iri),
          params,
        ),
      ];
      if (selector.id !== undefined) parts.push(`e.id = ${params.add(selector.id)}`);
      if (selector.idPattern !== undefined) parts.push(`e.id ~ ${params.add(selector.idPattern)}`);
      return `(${parts.join(' AND ')})`;
    });
    if (selectors.length > 0) where.push(`(${selectors.join(' OR ')})`);
    if (subscription.q) where.push(`(${qToSql(subscription.q, 'e', params)})`);
    if (subscription.scopeQ) where.push(`(${scopeQToSql(subscription.scopeQ, 'e', params)})`);
    if (subscription.geo) where.push(geoQueryToSql(subscription.geo, 'e', params));
    const rows = await tx.$queryRawUnsafe<EntityRow[]>(
      `SELECT ${ENTITY_COLUMNS} FROM entity e WHERE ${where.join(' AND ')} ORDER BY e.pk LIMIT ${params.add(limit)}`,
      ...params.values,
    );
    return rows.map(toStoredEntity);
  }

  /**
   * Adds delivery outcomes to the subscriptions' status (clause 5.2.14): counters summed, the
   * last notification, success and failure moved forward only (results may arrive out of order).
   */
  async recordDeliveries(tx: SqlExecutor, tallies: readonly DeliveryTally[]): Promise<void> {
    if (tallies.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE subscription s SET times_sent = s.times_sent + r.sent, times_failed = s.times_failed + r.failed,
              last_notification = GREATEST(s.last_notification, r.last_notification),
              last_success = GREATEST(s.last_success, r.last_success),
              last_failure = GREATEST(s.last_failure, r.last_failure)
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant text, id text, sent bigint, failed bigint,
              last_notification timestamptz, last_success timestamptz, last_failure timestamptz)
        WHERE s.tenant = r.tenant AND s.id = r.id`,
      JSON.stringify(
        tallies.map((tally) => ({
          tenant: tally.tenant,
          id: tally.subscriptionId,
          sent: tally.sent,
          failed: tally.failed,
          last_notification: tally.lastNotification ?? null,
          last_success: tally.lastSuccess ?? null,
          last_failure: tally.lastFailure ?? null,
        })),
      ),
    );
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** PostgreSQL delivers it at commit: no replica reloads a subscription it cannot read yet. */
async function notify(client: PoolClient, tenant: string, id: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [SUBSCRIPTIONS_CHANNEL, JSON.stringify([tenant, id])]);
}
