import type { SqlParams } from '../storage/sql-params';
import { QueryError, type QueryParameter } from './query-error';

/** The GeoJSON geometry types a geo-query may name (clause 4.10). */
export const QUERY_GEOMETRY_TYPES = [
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
] as const;
export type QueryGeometryType = (typeof QUERY_GEOMETRY_TYPES)[number];

export type Position = number[];
export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] }
  | { type: 'GeometryCollection'; geometries: Geometry[] };

const MAX_POSITIONS = 100_000;
const MAX_COLLECTION_DEPTH = 8;

/**
 * Validates a GeoJSON geometry (RFC 7946) written as a GeoProperty value and returns it in
 * canonical form (only `type` and `coordinates`/`geometries`, no foreign members): positions of
 * 2 or 3 finite numbers with longitude in [-180, 180] and latitude in [-90, 90], line strings of
 * at least 2 positions, closed linear rings of at least 4. Throws QueryError (BadRequestData).
 */
export function validateGeometry(value: unknown, parameter: QueryParameter = 'GeoProperty'): Geometry {
  return new GeometryReader(parameter, true).geometry(value, 'value', 0);
}

/** Reads `coordinates` for a geometry of `type` named by a geo-query (no GeometryCollection). */
export function queryGeometry(type: QueryGeometryType, coordinates: unknown): Geometry {
  return new GeometryReader('coordinates', false).geometry({ type, coordinates }, 'coordinates', 0, true);
}

/** The GeoJSON text PostGIS reads with ST_GeomFromGeoJSON. */
export function geometryToGeoJson(geometry: Geometry): string {
  return JSON.stringify(geometry);
}

/**
 * The SQL of a geometry for `entity_geo.geom` (`geometry(Geometry, 4326)`): 2-D, SRID 4326.
 * An altitude stays in the entity's JSON; geo-queries are planar/geodesic on the surface.
 */
export function geometrySql(geometry: Geometry, params: SqlParams): string {
  return `ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(${params.add(geometryToGeoJson(geometry))})), 4326)`;
}

/** How deep the arrays of each kind of coordinate list nest (a position is 1). */
const NESTING: Record<string, number> = { positions: 2, 'line strings': 3, 'linear rings': 3, polygons: 4 };

function nesting(value: unknown): number {
  let depth = 0;
  for (let item = value; Array.isArray(item); item = item[0]) depth++;
  return depth;
}

class GeometryReader {
  private positions = 0;

  constructor(
    private readonly parameter: QueryParameter,
    private readonly collections: boolean,
  ) {}

  geometry(value: unknown, where: string, depth: number, coordinatesOnly = false): Geometry {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.error(`${where} must be a GeoJSON geometry object`);
    }
    const { type, coordinates, geometries } = value as Record<string, unknown>;
    const at = coordinatesOnly ? 'coordinates' : `${where}.coordinates`;
    switch (type) {
      case 'Point':
        return { type, coordinates: this.position(coordinates, at) };
      case 'MultiPoint':
        return {
          type,
          coordinates: this.list(coordinates, at, 1, 'positions', (p, w) => this.position(p, w)),
        };
      case 'LineString':
        return { type, coordinates: this.lineString(coordinates, at) };
      case 'MultiLineString':
        return {
          type,
          coordinates: this.list(coordinates, at, 1, 'line strings', (l, w) => this.lineString(l, w)),
        };
      case 'Polygon':
        return { type, coordinates: this.polygon(coordinates, at) };
      case 'MultiPolygon':
        return { type, coordinates: this.list(coordinates, at, 1, 'polygons', (p, w) => this.polygon(p, w)) };
      case 'GeometryCollection':
        if (!this.collections) break;
        if (depth >= MAX_COLLECTION_DEPTH) throw this.error(`${where} nests geometry collections too deeply`);
        return {
          type,
          geometries: this.list(geometries, `${where}.geometries`, 0, 'geometries', (g, w) =>
            this.geometry(g, w, depth + 1),
          ),
        };
    }
    const allowed = this.collections ? [...QUERY_GEOMETRY_TYPES, 'GeometryCollection'] : QUERY_GEOMETRY_TYPES;
    throw this.error(
      `${coordinatesOnly ? 'geometry' : `${where}.type`} must be one of ${allowed.join(', ')}, not ${JSON.stringify(type ?? null)}`,
    );
  }

  private polygon(value: unknown, where: string): Position[][] {
    return this.list(value, where, 1, 'linear rings', (ring, at) => {
      const positions = this.list(ring, at, 4, 'positions', (p, w) => this.position(p, w));
      const first = positions[0];
      const last = positions[positions.length - 1];
      if (first.length !== last.length || first.some((n, i) => n !== last[i])) {
        throw this.error(
          `${at} is not closed: its last position must repeat its first, ${JSON.stringify(first)}`,
        );
      }
      return positions;
    });
  }

  private lineString(value: unknown, where: string): Position[] {
    return this.list(value, where, 2, 'positions', (p, w) => this.position(p, w));
  }

  private list<T>(
    value: unknown,
    where: string,
    min: number,
    what: string,
    item: (v: unknown, where: string) => T,
  ): T[] {
    if (!Array.isArray(value)) throw this.error(`${where} must be an array of ${what}`);
    const expected = NESTING[what];
    const actual = nesting(value);
    if (expected !== undefined && value.length > 0 && actual !== expected) {
      throw this.error(
        `${where} must be an array of ${what}: arrays nested ${expected} deep, not ${actual} (check the brackets)`,
      );
    }
    if (value.length < min) throw this.error(`${where} needs at least ${min} ${what}, has ${value.length}`);
    return value.map((v, i) => item(v, `${where}[${i}]`));
  }

  private position(value: unknown, where: string): Position {
    if (!Array.isArray(value) || value.some((n) => typeof n !== 'number' || !Number.isFinite(n))) {
      throw this.error(
        `${where} must be a position: [longitude, latitude] or [longitude, latitude, altitude] of numbers`,
      );
    }
    if (value.length < 2 || value.length > 3) {
      throw this.error(
        `${where} must have 2 or 3 numbers (longitude, latitude[, altitude]), has ${value.length}`,
      );
    }
    if (++this.positions > MAX_POSITIONS)
      throw this.error(`the geometry has more than ${MAX_POSITIONS} positions`);
    const [longitude, latitude] = value as number[];
    if (longitude < -180 || longitude > 180)
      throw this.error(`${where}: longitude ${longitude} is outside [-180, 180]`);
    if (latitude < -90 || latitude > 90)
      throw this.error(`${where}: latitude ${latitude} is outside [-90, 90]`);
    return value as number[];
  }

  private error(message: string): QueryError {
    return new QueryError('BadRequestData', this.parameter, `Invalid ${this.parameter}: ${message}`);
  }
}
