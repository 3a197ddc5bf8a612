import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { badRequest } from '../ngsi-ld/errors';
import type { StoredAttribute } from '../ngsi-ld/stored';
import { type TypeSelection, typeSelectionSql } from '../ngsi-ld/type-selection';
import { SqlParams } from '../storage/sql-params';
import type { Aggregation, AggregationMethod, TemporalQuery } from './temporal-query';

/** An entity the history knows: current, or deleted with its history kept. */
export interface TemporalEntityRow {
  id: string;
  types: string[];
  scopes: string[];
  createdAt: string;
  modifiedAt: string;
  deletedAt?: string;
}

/** One series: the instances of one attribute of one entity with one datasetId ('' = default). */
export interface SeriesKey {
  entityId: string;
  attr: string;
  datasetId: string;
}

export interface HistoryInstance extends SeriesKey {
  instanceId: string;
  /** The value of the time property the query uses (observedAt: `ts`). */
  time: string;
  createdAt: string;
  modifiedAt: string;
  deleted: boolean;
  instance: StoredAttribute;
}

export interface AggregatePeriod extends SeriesKey {
  start: string;
  end: string;
  values: Partial<Record<AggregationMethod, number | string | null>>;
}

/** What selects temporal entities: the parts of an entity selection the history can answer. */
export interface TemporalSelection {
  tenant: string;
  ids?: string[];
  idPattern?: string;
  types?: TypeSelection;
  /** Expanded attribute IRIs: the entity has history of one of them. */
  attrs?: string[];
  /** scopeQ over `te` (temporal_entity). */
  predicates?: ((params: SqlParams) => string)[];
  /** q and geo-queries over the current entity `e` (entity). */
  currentPredicates?: ((params: SqlParams) => string)[];
}

/** Column of attribute_instance for each time property; observedAt falls back to the change's time (`ts`). */
const TIME_COLUMN = { observedAt: 'ts', createdAt: 'created_at', modifiedAt: 'modified_at' } as const;
const INVALID_REGULAR_EXPRESSION = '2201B';
const INSTANCE_COLUMNS = 'a.instance_id::text AS instance_id, a.created_at, a.modified_at, a.deleted, a.instance';

type Row = Record<string, unknown>;
const iso = (value: unknown) => (value instanceof Date ? value : new Date(String(value))).toISOString();

/** Reads of the attribute history for the temporal API (clauses 5.7.3, 5.7.4). */
@Injectable()
export class HistoryRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async find(tenant: string, id: string): Promise<TemporalEntityRow | null> {
    const { rows } = await this.pool.query<Row>('SELECT id, types, scopes, created_at, modified_at, deleted_at FROM temporal_entity WHERE tenant = $1 AND id = $2', [tenant, id]);
    return rows[0] ? entityOf(rows[0]) : null;
  }

  async query(selection: TemporalSelection, page: { limit: number; offset: number; count: boolean }): Promise<{ entities: TemporalEntityRow[]; count?: number }> {
    const params = new SqlParams();
    const where = this.where(selection, params);
    try {
      const listing =
        page.limit > 0
          ? this.pool.query<Row>(
              `SELECT te.id, te.types, te.scopes, te.created_at, te.modified_at, te.deleted_at FROM temporal_entity te WHERE ${where}
                ORDER BY te.id LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
              params.values,
            )
          : Promise.resolve({ rows: [] as Row[] });
      const counting = page.count ? this.count(selection) : Promise.resolve(undefined);
      const [{ rows }, count] = await Promise.all([listing, counting]);
      return { entities: rows.map(entityOf), ...(count !== undefined && { count }) };
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      if (code === INVALID_REGULAR_EXPRESSION) throw badRequest(`invalid regular expression (idPattern or q pattern): ${message}`);
      throw error;
    }
  }

  private async count(selection: TemporalSelection): Promise<number> {
    const params = new SqlParams();
    const { rows } = await this.pool.query<{ count: string }>(`SELECT count(*) AS count FROM temporal_entity te WHERE ${this.where(selection, params)}`, params.values);
    return Number(rows[0]?.count ?? 0);
  }

  private where(selection: TemporalSelection, params: SqlParams): string {
    const clauses = [`te.tenant = ${params.add(selection.tenant)}`];
    if (selection.ids) clauses.push(`te.id = ANY(${params.add(selection.ids, 'text[]')})`);
    if (selection.idPattern !== undefined) clauses.push(`te.id ~ ${params.add(selection.idPattern)}`);
    if (selection.types) clauses.push(typeSelectionSql(selection.types, params, 'te.types'));
    if (selection.attrs) {
      clauses.push(`EXISTS (SELECT 1 FROM attribute_instance a WHERE a.tenant = te.tenant AND a.entity_id = te.id AND a.attr = ANY(${params.add(selection.attrs, 'text[]')}))`);
    }
    for (const predicate of selection.predicates ?? []) clauses.push(`(${predicate(params)})`);
    if (selection.currentPredicates && selection.currentPredicates.length > 0) {
      const current = selection.currentPredicates.map((predicate) => `(${predicate(params)})`).join(' AND ');
      clauses.push(`EXISTS (SELECT 1 FROM entity e WHERE e.tenant = te.tenant AND e.id = te.id AND ${current})`);
    }
    return clauses.join(' AND ');
  }

  /**
   * The series of these entities (optionally only of `attrs`), found by skipping through the
   * series index one (attribute, datasetId) at a time rather than reading every instance.
   */
  async series(tenant: string, entityIds: readonly string[], attrs?: readonly string[]): Promise<SeriesKey[]> {
    if (entityIds.length === 0) return [];
    const onlyAttrs = attrs ? 'AND a.attr = ANY($3::text[])' : '';
    const { rows } = await this.pool.query<{ entity_id: string; attr: string; dataset_id: string }>(
      `WITH RECURSIVE s AS (
         SELECT e.id AS entity_id, f.attr, f.dataset_id FROM unnest($2::text[]) AS e(id)
           CROSS JOIN LATERAL (SELECT a.attr, a.dataset_id FROM attribute_instance a
                                WHERE a.tenant = $1 AND a.entity_id = e.id ${onlyAttrs} ORDER BY a.attr, a.dataset_id LIMIT 1) f
         UNION ALL
         SELECT s.entity_id, n.attr, n.dataset_id FROM s
           CROSS JOIN LATERAL (SELECT a.attr, a.dataset_id FROM attribute_instance a
                                WHERE a.tenant = $1 AND a.entity_id = s.entity_id AND (a.attr, a.dataset_id) > (s.attr, s.dataset_id) ${onlyAttrs}
                                ORDER BY a.attr, a.dataset_id LIMIT 1) n
       )
       SELECT entity_id, attr, dataset_id FROM s ORDER BY entity_id, attr, dataset_id`,
      attrs ? [tenant, entityIds, attrs] : [tenant, entityIds],
    );
    return rows.map((row) => ({ entityId: row.entity_id, attr: row.attr, datasetId: row.dataset_id }));
  }

  /** The attribute type of each series (from its latest instance), keyed by `seriesKeyOf`. */
  async seriesTypes(tenant: string, series: readonly SeriesKey[]): Promise<Map<string, string>> {
    if (series.length === 0) return new Map();
    const params = new SqlParams();
    const tenantParam = params.add(tenant);
    const { rows } = await this.pool.query<{ entity_id: string; attr: string; dataset_id: string; type: string | null }>(
      `SELECT s.entity_id, s.attr, s.dataset_id,
              (SELECT a.instance ->> 'type' FROM attribute_instance a
                WHERE a.tenant = ${tenantParam} AND a.entity_id = s.entity_id AND a.attr = s.attr AND a.dataset_id = s.dataset_id
                ORDER BY a.ts DESC LIMIT 1) AS type
         FROM unnest(${seriesParams(series, params)}) AS s(entity_id, attr, dataset_id)`,
      params.values,
    );
    return new Map(rows.map((row) => [seriesKeyOf({ entityId: row.entity_id, attr: row.attr, datasetId: row.dataset_id }), row.type ?? 'Property']));
  }

  /** Up to `limit` instances of each series in the time range: oldest first, or newest first (`descending`, lastN). */
  async instances(tenant: string, series: readonly SeriesKey[], query: TemporalQuery, options: { limit: number; descending: boolean }): Promise<HistoryInstance[]> {
    if (series.length === 0) return [];
    const params = new SqlParams();
    const tenantParam = params.add(tenant);
    const keys = seriesParams(series, params);
    const time = `a.${TIME_COLUMN[query.timeproperty]}`;
    const { rows } = await this.pool.query<Row>(
      `SELECT s.entity_id, s.attr, s.dataset_id, i.* FROM unnest(${keys}) AS s(entity_id, attr, dataset_id)
         CROSS JOIN LATERAL (SELECT ${time} AS time, ${INSTANCE_COLUMNS} FROM attribute_instance a
                              WHERE a.tenant = ${tenantParam} AND a.entity_id = s.entity_id AND a.attr = s.attr AND a.dataset_id = s.dataset_id
                                ${timeRange(query, params)}
                              ORDER BY ${time} ${options.descending ? 'DESC' : 'ASC'}, a.ts ${options.descending ? 'DESC' : 'ASC'}, a.instance_id LIMIT ${params.add(options.limit)}) i`,
      params.values,
    );
    return rows.map((row) => ({
      entityId: row['entity_id'] as string,
      attr: row['attr'] as string,
      datasetId: row['dataset_id'] as string,
      instanceId: row['instance_id'] as string,
      time: iso(row['time']),
      createdAt: iso(row['created_at']),
      modifiedAt: iso(row['modified_at']),
      deleted: row['deleted'] as boolean,
      instance: row['instance'] as StoredAttribute,
    }));
  }

  /**
   * Aggregates each series per period of `aggregation.period`, from the series' first instance in
   * the range (or timeAt for after/between). Numbers (booleans as 1/0) come from the hourly
   * rollups when they answer exactly (`rollupsAnswer`), else from the covering index;
   * min/max/distinctCount of other values read the instances. Periods without instances
   * are left out; at most `limit` periods per series (the last ones with `descending`).
   */
  async aggregate(tenant: string, series: readonly SeriesKey[], query: TemporalQuery, aggregation: Aggregation, options: { limit: number; descending: boolean }): Promise<AggregatePeriod[]> {
    if (series.length === 0) return [];
    const params = new SqlParams();
    const tenantParam = params.add(tenant);
    const keys = seriesParams(series, params);
    const time = `a.${TIME_COLUMN[query.timeproperty]}`;
    const range = timeRange(query, params);
    const inSeries = `a.tenant = ${tenantParam} AND a.entity_id = s.entity_id AND a.attr = s.attr AND a.dataset_id = s.dataset_id AND NOT a.deleted ${range}`;
    const whole = !aggregation.period.calendar && aggregation.period.ms === 0;
    // Only bound when used: PostgreSQL refuses a parameter whose type it cannot infer.
    const period = whole ? '' : params.add(aggregation.period.text, 'interval');
    const origin = query.timerel === 'after' || query.timerel === 'between' ? `${params.add(query.timeAt, 'timestamptz')}` : `(SELECT min(${time}) FROM attribute_instance a WHERE ${inSeries})`;
    const upper = query.timerel === 'between' ? params.add(query.endTimeAt, 'timestamptz') : query.timerel === 'before' ? params.add(query.timeAt, 'timestamptz') : `(SELECT max(${time}) FROM attribute_instance a WHERE ${inSeries})`;
    const methods = new Set(aggregation.methods);
    const numeric = [
      'count(*) AS total_count',
      'count(a.num) AS numbers',
      methods.has('sum') && 'sum(a.num) AS sum',
      methods.has('avg') && 'avg(a.num) AS avg',
      methods.has('min') && 'min(a.num) AS min',
      methods.has('max') && 'max(a.num) AS max',
      methods.has('stddev') && 'stddev_samp(a.num) AS stddev',
      methods.has('sumsq') && 'sum(a.num * a.num) AS sumsq',
    ];
    // Read from the instances themselves, so only when asked for (or needed: text values).
    const valued = [
      'count(*) AS total_count',
      methods.has('distinctCount') && `count(DISTINCT COALESCE(to_jsonb(a.num), ${VALUE_MEMBERS})) AS distinct_count`,
      (methods.has('min') || methods.has('max')) && "min(a.instance ->> 'value') FILTER (WHERE a.num IS NULL AND jsonb_typeof(a.instance -> 'value') = 'string') AS min_text",
      (methods.has('min') || methods.has('max')) && "max(a.instance ->> 'value') FILTER (WHERE a.num IS NULL AND jsonb_typeof(a.instance -> 'value') = 'string') AS max_text",
    ];
    // The hourly rollups give the same numbers when every period is made of whole UTC hours.
    const rolled = [
      'sum(a.instances) AS total_count',
      'sum(a.numbers) AS numbers',
      methods.has('sum') && 'CASE WHEN sum(a.numbers) > 0 THEN sum(a.sum) END AS sum',
      methods.has('avg') && 'sum(a.sum) / NULLIF(sum(a.numbers), 0)::double precision AS avg',
      methods.has('min') && 'min(a.min) AS min',
      methods.has('max') && 'max(a.max) AS max',
      methods.has('stddev') && 'CASE WHEN sum(a.numbers) > 1 THEN sqrt(GREATEST(0, (sum(a.sumsq) - sum(a.sum) ^ 2 / sum(a.numbers)::double precision) / (sum(a.numbers) - 1)::double precision)) END AS stddev',
      methods.has('sumsq') && 'CASE WHEN sum(a.numbers) > 0 THEN sum(a.sumsq) END AS sumsq',
    ];
    const useRollups = rollupsAnswer(query, aggregation);
    const limit = params.add(options.limit);
    const statement = (columns: (string | false)[], fromRollups = false) => {
      const list = columns.filter(Boolean).join(', ');
      // Whole range (PT0S): one period; a fixed duration: date_bin; months and years: calendar
      // periods, generated and joined (date_bin cannot bin by months).
      let periods: string;
      if (fromRollups) {
        const inRollups = `a.tenant = ${tenantParam} AND a.entity_id = s.entity_id AND a.attr = s.attr AND a.dataset_id = s.dataset_id ${range}`;
        periods = `SELECT g.*, g.start + ${period} AS "end" FROM (SELECT date_bin(${period}, a.ts, o.origin) AS start, ${list}
                     FROM (SELECT r.*, r.hour AS ts FROM attribute_rollup r) a WHERE ${inRollups} GROUP BY 1) g`;
      } else if (whole) {
        periods = `SELECT o.origin AS start, o.upper AS "end", ${list} FROM attribute_instance a WHERE ${inSeries}`;
      } else if (!aggregation.period.calendar) {
        periods = `SELECT g.*, g.start + ${period} AS "end" FROM (SELECT date_bin(${period}, ${time}, o.origin) AS start, ${list} FROM attribute_instance a WHERE ${inSeries} GROUP BY 1) g`;
      } else {
        periods = `SELECT p.start, p.start + ${period} AS "end", ${list}
                     FROM generate_series(o.origin, o.upper, ${period}) AS p(start)
                     JOIN attribute_instance a ON ${time} >= p.start AND ${time} < p.start + ${period}
                    WHERE ${inSeries} GROUP BY p.start`;
      }
      return `SELECT s.entity_id, s.attr, s.dataset_id, b.* FROM unnest(${keys}) AS s(entity_id, attr, dataset_id)
                CROSS JOIN LATERAL (SELECT ${origin} AS origin, ${upper} AS upper) o
                CROSS JOIN LATERAL (SELECT * FROM (${periods}) x WHERE x.total_count > 0 ORDER BY x.start ${options.descending ? 'DESC' : 'ASC'} LIMIT ${limit}) b
               WHERE o.origin IS NOT NULL`;
    };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      // A series' periods: hashing a few thousand groups beats sorting a million instances.
      await client.query('SET LOCAL enable_sort = off');
      await client.query('SET LOCAL jit = off');
      const { rows } = await client.query<Row>(useRollups ? statement(rolled, true) : statement(numeric), params.values);
      const textual = rows.some((row) => Number(row['total_count']) > Number(row['numbers']));
      if (methods.has('distinctCount') || (textual && (methods.has('min') || methods.has('max')))) {
        const { rows: extra } = await client.query<Row>(statement(valued), params.values);
        const byPeriod = new Map(extra.map((row) => [periodKey(row), row]));
        for (const row of rows) Object.assign(row, { ...byPeriod.get(periodKey(row)), total_count: row['total_count'] });
      }
      await client.query('COMMIT');
      return rows.map((row) => periodOf(row, aggregation.methods));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

const HOUR_MS = 3_600_000;
const wholeHour = (instant: string | undefined) => instant !== undefined && Date.parse(instant) % HOUR_MS === 0;

/**
 * Whether the hourly rollups answer an aggregation exactly: observedAt periods of whole hours,
 * starting on a whole hour (timeAt of after/between) and, for between, ending on one; methods
 * other than distinctCount (which needs the values).
 */
export function rollupsAnswer(query: TemporalQuery, aggregation: Aggregation): boolean {
  const { period, methods } = aggregation;
  if (query.timeproperty !== 'observedAt' || methods.includes('distinctCount')) return false;
  if (period.calendar || period.ms === 0 || period.ms % HOUR_MS !== 0) return false;
  if (query.timerel === 'after') return wholeHour(query.timeAt);
  if (query.timerel === 'between') return wholeHour(query.timeAt) && wholeHour(query.endTimeAt);
  return false;
}

const VALUE_MEMBERS = ['value', 'object', 'languageMap', 'valueList', 'objectList', 'json', 'vocab'].map((member) => `a.instance -> '${member}'`).join(', ');
const periodKey = (row: Row) => `${String(row['entity_id'])}\u0000${String(row['attr'])}\u0000${String(row['dataset_id'])}\u0000${iso(row['start'])}`;

export const seriesKeyOf = (key: SeriesKey) => `${key.entityId}\u0000${key.attr}\u0000${key.datasetId}`;

function seriesParams(series: readonly SeriesKey[], params: SqlParams): string {
  return [
    params.add(series.map((key) => key.entityId), 'text[]'),
    params.add(series.map((key) => key.attr), 'text[]'),
    params.add(series.map((key) => key.datasetId), 'text[]'),
  ].join(', ');
}

/** The timerel condition on the query's time property (half-open: [timeAt, endTimeAt)). */
function timeRange(query: TemporalQuery, params: SqlParams): string {
  const time = `a.${TIME_COLUMN[query.timeproperty]}`;
  switch (query.timerel) {
    case 'before':
      return `AND ${time} < ${params.add(query.timeAt, 'timestamptz')}`;
    case 'after':
      return `AND ${time} >= ${params.add(query.timeAt, 'timestamptz')}`;
    case 'between':
      return `AND ${time} >= ${params.add(query.timeAt, 'timestamptz')} AND ${time} < ${params.add(query.endTimeAt, 'timestamptz')}`;
    default:
      return '';
  }
}

function entityOf(row: Row): TemporalEntityRow {
  return {
    id: row['id'] as string,
    types: row['types'] as string[],
    scopes: (row['scopes'] as string[] | null) ?? [],
    createdAt: iso(row['created_at']),
    modifiedAt: iso(row['modified_at']),
    ...(row['deleted_at'] != null && { deletedAt: iso(row['deleted_at']) }),
  };
}

function periodOf(row: Row, methods: readonly AggregationMethod[]): AggregatePeriod {
  const number = (key: string) => (row[key] === null || row[key] === undefined ? null : Number(row[key]));
  const numeric = Number(row['numbers']) > 0;
  const values: AggregatePeriod['values'] = {};
  for (const method of methods) {
    switch (method) {
      case 'totalCount':
        values.totalCount = Number(row['total_count']);
        break;
      case 'distinctCount':
        values.distinctCount = Number(row['distinct_count']);
        break;
      case 'min':
      case 'max':
        values[method] = numeric ? number(method) : ((row[`${method}_text`] as string | null) ?? null);
        break;
      default:
        values[method] = number(method);
    }
  }
  return { entityId: row['entity_id'] as string, attr: row['attr'] as string, datasetId: row['dataset_id'] as string, start: iso(row['start']), end: iso(row['end']), values };
}
