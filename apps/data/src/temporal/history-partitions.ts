import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import { Pool, type PoolClient } from 'pg';
import type { DataConfig } from '../config';

/** Serializes partition DDL across replicas (any constant of our own). */
const PARTITION_LOCK = 0x6e67_7369;
const COLUMNS = 'tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, deleted, instance';

/** The first instant of the month `offset` months after the month of `at`, in UTC. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

export function partitionName(month: Date): string {
  return `attribute_instance_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The partitions maintenance keeps in place at `now`: the previous month to `ahead` months ahead. */
export function expectedPartitions(now: Date, ahead: number): string[] {
  return Array.from({ length: ahead + 2 }, (_, i) => partitionName(monthStart(now, i - 1)));
}

/**
 * Monthly partitions of `attribute_instance`. At boot (before any consumer or route runs) and then
 * on a timer it creates the partitions from last month to `monthsAhead` ahead, and moves rows that
 * reached the default partition (an observation stamped far in the past or future) into a
 * partition of their own month: PostgreSQL refuses to create a partition whose range rows in the
 * default partition occupy, so the month is built beside the table, filled and then attached.
 * Temporal writes call `ensureFor` first, so history imported for any month lands in place.
 */
@Injectable()
export class HistoryPartitions implements OnModuleInit {
  private readonly known = new Set<string>();
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private running = false;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.maintain();
    this.lifecycle.addWorker({
      name: 'history-partitions',
      start: () => {
        this.running = true;
        this.schedule();
      },
      stop: async () => {
        this.running = false;
        clearTimeout(this.timer);
        await this.pass;
      },
      isRunning: () => this.running,
    });
  }

  /** One maintenance pass: partitions ahead, then the default partition emptied into its months. */
  async maintain(now = new Date()): Promise<void> {
    const months = Array.from({ length: this.config.history.monthsAhead + 2 }, (_, i) => monthStart(now, i - 1));
    await this.ensureMonths(months);
    await this.rescueDefault();
  }

  /** Makes sure the months of these instants have partitions (temporal writes, before inserting). */
  async ensureFor(instants: readonly (string | Date)[]): Promise<void> {
    const months = new Map<string, Date>();
    for (const instant of instants) {
      const month = monthStart(new Date(instant));
      months.set(partitionName(month), month);
    }
    const missing = [...months].filter(([name]) => !this.known.has(name)).map(([, month]) => month);
    if (missing.length > 0) await this.ensureMonths(missing);
  }

  private async ensureMonths(months: readonly Date[]): Promise<void> {
    await this.locked(async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'attribute_instance'::regclass`,
      );
      const existing = new Set(rows.map((row) => row.name));
      for (const month of months) {
        const name = partitionName(month);
        if (!existing.has(name)) await this.createMonth(client, month);
        this.known.add(name);
      }
    });
  }

  /** Builds the month beside the table, moves its rows out of the default partition, attaches it. */
  private async createMonth(client: PoolClient, month: Date): Promise<void> {
    const name = partitionName(month);
    const from = month.toISOString();
    const to = monthStart(month, 1).toISOString();
    await client.query(`CREATE TABLE "${name}" (LIKE attribute_instance INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)`);
    await client.query(`ALTER TABLE "${name}" ADD CONSTRAINT "${name}_ts_check" CHECK (ts >= '${from}' AND ts < '${to}')`);
    const moved = await client.query(
      `WITH moved AS (DELETE FROM attribute_instance_default WHERE ts >= $1 AND ts < $2 RETURNING ${COLUMNS})
       INSERT INTO "${name}" (${COLUMNS}) SELECT ${COLUMNS} FROM moved`,
      [from, to],
    );
    await client.query(`ALTER TABLE attribute_instance ATTACH PARTITION "${name}" FOR VALUES FROM ('${from}') TO ('${to}')`);
    // The CHECK let ATTACH skip its own scan; the partition bound says the same from now on.
    await client.query(`ALTER TABLE "${name}" DROP CONSTRAINT "${name}_ts_check"`);
    this.logger.info({ partition: name, moved: moved.rowCount ?? 0 }, 'history partition created');
  }

  private async rescueDefault(): Promise<void> {
    const { rows } = await this.pool.query<{ month: Date }>(`SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month FROM attribute_instance_default`);
    if (rows.length === 0) return;
    this.logger.warn({ months: rows.map((row) => partitionName(row.month)) }, 'history rows found in the default partition; moving them into monthly partitions');
    await this.ensureMonths(rows.map((row) => row.month));
  }

  private async locked(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.known.clear();
      throw error;
    } finally {
      client.release();
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.pass = this.maintain()
        .catch((error: unknown) => this.logger.error({ err: error }, 'history partition maintenance failed; will retry'))
        .finally(() => this.schedule());
    }, this.config.history.maintenanceIntervalMs);
    this.timer.unref();
  }
}
