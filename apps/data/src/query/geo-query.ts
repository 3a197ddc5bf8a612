import type { SqlParams } from '../storage/sql-params';
import {
  type Geometry,
  geometryToGeoJson,
  QUERY_GEOMETRY_TYPES,
  type QueryGeometryType,
  queryGeometry,
} from './geometry';
import { QueryError } from './query-error';
import { decodeQueryText } from './query-text';

export type GeoRelation = 'near' | 'within' | 'contains' | 'intersects' | 'equals' | 'disjoint' | 'overlaps';

export type GeoRel =
  | { relation: 'near'; maxDistance: number; minDistance?: undefined }
  | { relation: 'near'; minDistance: number; maxDistance?: undefined }
  | { relation: Exclude<GeoRelation, 'near'> };

/** A validated geo-query (clause 4.10): the reference geometry, the relation, the GeoProperty's IRI. */
export interface GeoQuery {
  geometry: Geometry;
  georel: GeoRel;
  geoproperty: string;
}

/** The GET /entities parameters, or the `geoQ` member of a Query body (coordinates as array or JSON text). */
export interface GeoQueryInput {
  geometry?: unknown;
  coordinates?: unknown;
  georel?: unknown;
  geoproperty?: unknown;
}

const RELATIONS = new Set<string>(['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps']);
/** PositiveNumber: an RFC 8259 number without the minus sign; zero is excluded below. */
const POSITIVE_NUMBER = /^(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const GEOPROPERTY = /^[\p{L}\p{N}_][\p{L}\p{N}_:-]*$|^[A-Za-z][A-Za-z0-9+.-]*:\S+$/u;

/**
 * Validates a geo-query. Returns undefined when none of georel, geometry and coordinates is
 * given (a lone `geoproperty` only picks the GeoJSON representation's geometry); throws
 * QueryError (BadRequestData) when they are incomplete or invalid.
 */
export function parseGeoQuery(
  input: GeoQueryInput,
  options: { expand(term: string): string },
): GeoQuery | undefined {
  const given = (['georel', 'geometry', 'coordinates'] as const).filter((name) => input[name] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < 3) {
    const missing = (['georel', 'geometry', 'coordinates'] as const).filter(
      (name) => input[name] === undefined,
    );
    throw new QueryError(
      'BadRequestData',
      missing[0],
      `A geo-query needs georel, geometry and coordinates together; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
    );
  }
  const georel = parseGeoRel(input.georel);
  const type = input.geometry;
  if (typeof type !== 'string' || !(QUERY_GEOMETRY_TYPES as readonly string[]).includes(type)) {
    throw new QueryError(
      'BadRequestData',
      'geometry',
      `Invalid geometry: must be one of ${QUERY_GEOMETRY_TYPES.join(', ')}, not ${JSON.stringify(type)}`,
    );
  }
  const geometry = queryGeometry(type as QueryGeometryType, coordinatesOf(input.coordinates));
  return { geometry, georel, geoproperty: geoproperty(input.geoproperty, options) };
}

export function parseGeoRel(value: unknown): GeoRel {
  if (typeof value !== 'string') throw georelError(`must be a string, not ${JSON.stringify(value)}`);
  const text = decodeQueryText(value).trim();
  if (RELATIONS.has(text)) return { relation: text as Exclude<GeoRelation, 'near'> };
  const [relation, ...modifiers] = text.split(';');
  if (relation !== 'near') {
    throw georelError(
      `"${relation}" is not a geo-relationship (near, within, contains, intersects, equals, disjoint, overlaps)`,
    );
  }
  if (modifiers.length !== 1) {
    throw georelError(
      'near takes exactly one distance: near;maxDistance==<metres> or near;minDistance==<metres>',
    );
  }
  const match = /^(maxDistance|minDistance)==(.*)$/.exec(modifiers[0]);
  if (!match)
    throw georelError(
      `expected maxDistance==<metres> or minDistance==<metres> after "near;", found "${modifiers[0]}"`,
    );
  const distance = Number(match[2]);
  if (!POSITIVE_NUMBER.test(match[2]) || !Number.isFinite(distance) || distance <= 0) {
    throw georelError(`${match[1]} must be a positive number of metres, not "${match[2]}"`);
  }
  return match[1] === 'maxDistance'
    ? { relation: 'near', maxDistance: distance }
    : { relation: 'near', minDistance: distance };
}

function coordinatesOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = decodeQueryText(value).trim();
  try {
    return JSON.parse(text);
  } catch {
    throw new QueryError(
      'BadRequestData',
      'coordinates',
      `Invalid coordinates: ${JSON.stringify(text.slice(0, 40))} is not a JSON array (e.g. [8.0,40.0])`,
    );
  }
}

function geoproperty(value: unknown, options: { expand(term: string): string }): string {
  if (value === undefined || value === '') return options.expand('location');
  if (typeof value !== 'string' || !GEOPROPERTY.test(value)) {
    throw new QueryError(
      'BadRequestData',
      'geoproperty',
      `Invalid geoproperty: ${JSON.stringify(value)} is not an attribute name`,
    );
  }
  return options.expand(value);
}

function georelError(message: string): QueryError {
  return new QueryError('BadRequestData', 'georel', `Invalid georel: ${message}`);
}

/**
 * `EXISTS (...)` over `entity_geo` for the row `alias`: some instance of the GeoProperty is in
 * the relation. `near` measures metres on the spheroid through `geography`, which the
 * expression index `geography(geom)` serves; the other relations use the index on `geom`.
 */
export function geoQueryToSql(query: GeoQuery, alias: string, params: SqlParams): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
  const reference = `ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(${params.add(geometryToGeoJson(query.geometry))})), 4326)`;
  const geom = 'entity_geo_q.geom';
  let predicate: string;
  const rel = query.georel;
  if (rel.relation === 'near') {
    const within = `ST_DWithin(geography(${geom}), geography(${reference}), ${params.add(rel.maxDistance ?? rel.minDistance, 'float8')})`;
    predicate = rel.maxDistance !== undefined ? within : `NOT ${within}`;
  } else {
    const fn = {
      within: 'ST_Within',
      contains: 'ST_Contains',
      intersects: 'ST_Intersects',
      equals: 'ST_Equals',
      disjoint: 'ST_Disjoint',
      overlaps: 'ST_Overlaps',
    }[rel.relation];
    predicate = `${fn}(${geom}, ${reference})`;
  }
  return (
    `EXISTS (SELECT 1 FROM entity_geo AS entity_geo_q WHERE entity_geo_q.entity_pk = ${alias}.pk ` +
    `AND entity_geo_q.attr = ${params.add(query.geoproperty)} AND ${predicate})`
  );
}
