import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { badRequest } from '../ngsi-ld/errors';
import type { StoredEntity } from '../ngsi-ld/stored';
import { type TypeSelection, typeSelectionSql } from '../ngsi-ld/type-selection';
import { ENTITY_COLUMNS, type EntityRow, toStoredEntity } from './entity-rows';
import { SqlParams } from './sql-params';

/** What selects entities (clause 5.7.2): every part given must hold. */
export interface EntitySelection {
  tenant: string;
  ids?: string[];
  idPattern?: string;
  types?: TypeSelection;
  /** Expanded attribute IRIs: the entity has at least one of them. */
  attrs?: string[];
  /** Compiled q / scopeQ / geoQ predicates over the alias `e`. */
  predicates?: ((params: SqlParams) => string)[];
}

export interface Page {
  limit: number;
  offset: number;
  count: boolean;
}

export interface TypeDetails {
  type: string;
  entityCount: number;
  attributes: { name: string; types: string[] }[];
}

export interface AttributeDetails {
  name: string;
  count: number;
  attributeTypes: string[];
  typeNames: string[];
}

const INVALID_REGULAR_EXPRESSION = '2201B';
const INTERNAL_ERROR = 'XX000';

/** Reads of current entity state: one entity, queries, and what discovery (/types, /attributes) reports. */
@Injectable()
export class EntityRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async find(tenant: string, id: string): Promise<StoredEntity | null> {
    const { rows } = await this.pool.query<EntityRow>(`SELECT ${ENTITY_COLUMNS} FROM entity e WHERE e.tenant = $1 AND e.id = $2`, [tenant, id]);
    return rows[0] ? toStoredEntity(rows[0]) : null;
  }

  async tenantExists(tenant: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM tenant WHERE name = $1', [tenant]);
    return (rowCount ?? 0) > 0;
  }

  async query(selection: EntitySelection, page: Page): Promise<{ entities: StoredEntity[]; count?: number }> {
    const params = new SqlParams();
    const where = this.where(selection, params);
    const listing = `SELECT ${ENTITY_COLUMNS} FROM entity e WHERE ${where} ORDER BY e.pk LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`;
    try {
      const [{ rows }, count] = await Promise.all([
        page.limit > 0 ? this.pool.query<EntityRow>(listing, params.values) : Promise.resolve({ rows: [] as EntityRow[] }),
        page.count ? this.count(selection) : Promise.resolve(undefined),
      ]);
      return { entities: rows.map(toStoredEntity), ...(count !== undefined && { count }) };
    } catch (error) {
      throw translate(error);
    }
  }

  private async count(selection: EntitySelection): Promise<number> {
    const params = new SqlParams();
    const { rows } = await this.pool.query<{ count: string }>(`SELECT count(*) AS count FROM entity e WHERE ${this.where(selection, params)}`, params.values);
    return Number(rows[0]?.count ?? 0);
  }

  private where(selection: EntitySelection, params: SqlParams): string {
    const clauses = [`e.tenant = ${params.add(selection.tenant)}`];
    if (selection.ids) clauses.push(`e.id = ANY(${params.add(selection.ids, 'text[]')})`);
    if (selection.idPattern !== undefined) clauses.push(`e.id ~ ${params.add(selection.idPattern)}`);
    if (selection.types) clauses.push(typeSelectionSql(selection.types, params));
    if (selection.attrs) clauses.push(`e.attrs ?| ${params.add(selection.attrs, 'text[]')}`);
    for (const predicate of selection.predicates ?? []) clauses.push(`(${predicate(params)})`);
    return clauses.join(' AND ');
  }

  /** Expanded type IRIs in use, each with the attribute IRIs its entities have (for /types?details=true). */
  async types(tenant: string): Promise<{ type: string; attributes: string[] }[]> {
    const { rows } = await this.pool.query<{ type: string; attributes: string[] | null }>(
      `SELECT t AS type, array_remove(array_agg(DISTINCT k), NULL) AS attributes
         FROM entity e CROSS JOIN LATERAL unnest(e.types) AS t LEFT JOIN LATERAL jsonb_object_keys(e.attrs) AS k ON true
        WHERE e.tenant = $1 GROUP BY t ORDER BY t`,
      [tenant],
    );
    return rows.map((row) => ({ type: row.type, attributes: row.attributes ?? [] }));
  }

  async typeDetails(tenant: string, type: string): Promise<TypeDetails | null> {
    const [{ rows: counted }, { rows }] = await Promise.all([
      this.pool.query<{ count: string }>('SELECT count(*) AS count FROM entity e WHERE e.tenant = $1 AND e.types @> ARRAY[$2]', [tenant, type]),
      this.pool.query<{ name: string; types: string[] }>(
        `SELECT a.key AS name, array_agg(DISTINCT i->>'type' ORDER BY i->>'type') AS types
           FROM entity e CROSS JOIN LATERAL jsonb_each(e.attrs) AS a CROSS JOIN LATERAL jsonb_array_elements(a.value) AS i
          WHERE e.tenant = $1 AND e.types @> ARRAY[$2] GROUP BY a.key ORDER BY a.key`,
        [tenant, type],
      ),
    ]);
    const entityCount = Number(counted[0]?.count ?? 0);
    return entityCount === 0 ? null : { type, entityCount, attributes: rows };
  }

  /** Attribute IRIs in use, with how many entities have each, their attribute types and entity types. */
  async attributes(tenant: string, only?: string): Promise<AttributeDetails[]> {
    const { rows } = await this.pool.query<{ name: string; count: string; attribute_types: string[]; type_names: string[] }>(
      `SELECT a.key AS name, count(DISTINCT e.pk) AS count,
              array_agg(DISTINCT i->>'type' ORDER BY i->>'type') AS attribute_types,
              (SELECT array_agg(DISTINCT t ORDER BY t) FROM entity e2 CROSS JOIN LATERAL unnest(e2.types) t
                WHERE e2.tenant = $1 AND e2.attrs ? a.key) AS type_names
         FROM entity e CROSS JOIN LATERAL jsonb_each(e.attrs) AS a CROSS JOIN LATERAL jsonb_array_elements(a.value) AS i
        WHERE e.tenant = $1 AND ($2::text IS NULL OR a.key = $2)
        GROUP BY a.key ORDER BY a.key`,
      [tenant, only ?? null],
    );
    return rows.map((row) => ({ name: row.name, count: Number(row.count), attributeTypes: row.attribute_types, typeNames: row.type_names ?? [] }));
  }
}

/** Query errors PostgreSQL finds in what the client sent: a regular expression, a geometry GEOS refuses. */
function translate(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if (code === INVALID_REGULAR_EXPRESSION) return badRequest(`invalid regular expression (idPattern or q pattern): ${message}`);
  if (code === INTERNAL_ERROR && /GEOS|Topology/i.test(message ?? '')) return badRequest(`the geo-query's geometry cannot be evaluated: ${message}`);
  return error;
}
