/** GeoJSON geometries (RFC 7946) as NGSI-LD GeoProperty values. */
export const GEOMETRY_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection'] as const;

/** Looks like a geometry (a concise GeoProperty): a geometry type and coordinates (or geometries). */
export function isGeometry(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['type'] === 'string' &&
    (GEOMETRY_TYPES as readonly string[]).includes(candidate['type']) &&
    ('coordinates' in candidate || 'geometries' in candidate)
  );
}

const isPosition = (value: unknown): value is number[] =>
  Array.isArray(value) &&
  value.length >= 2 &&
  value.length <= 3 &&
  value.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
  Math.abs(value[0] as number) <= 180 &&
  Math.abs(value[1] as number) <= 90;

const POSITION = 'a position must be [longitude, latitude] with longitude within ±180 and latitude within ±90';

function positionsProblem(value: unknown, minimum: number, what: string): string | undefined {
  if (!Array.isArray(value) || value.length < minimum) return `${what} needs at least ${minimum} position${minimum > 1 ? 's' : ''}`;
  return value.every(isPosition) ? undefined : POSITION;
}

function ringProblem(ring: unknown): string | undefined {
  const problem = positionsProblem(ring, 4, 'a polygon ring');
  if (problem) return problem;
  const positions = ring as number[][];
  const first = positions[0] as number[];
  const last = positions[positions.length - 1] as number[];
  return first[0] === last[0] && first[1] === last[1] ? undefined : 'a polygon ring must end where it starts';
}

function everyProblem(value: unknown, what: string, check: (item: unknown) => string | undefined): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return `${what} must be a non-empty array`;
  for (const item of value) {
    const problem = check(item);
    if (problem) return problem;
  }
  return undefined;
}

/** Why `value` is not a valid GeoJSON geometry, or undefined when it is one. */
export function geometryProblem(value: unknown, depth = 0): string | undefined {
  if (!isGeometry(value)) return 'expected a GeoJSON geometry: {"type": "Point" | "LineString" | ..., "coordinates": [...]}';
  const { type, coordinates, geometries } = value as { type: string; coordinates: unknown; geometries: unknown };
  switch (type) {
    case 'Point':
      return isPosition(coordinates) ? undefined : POSITION;
    case 'MultiPoint':
      return positionsProblem(coordinates, 1, 'a MultiPoint');
    case 'LineString':
      return positionsProblem(coordinates, 2, 'a LineString');
    case 'MultiLineString':
      return everyProblem(coordinates, 'MultiLineString coordinates', (line) => positionsProblem(line, 2, 'each line of a MultiLineString'));
    case 'Polygon':
      return everyProblem(coordinates, 'Polygon coordinates', ringProblem);
    case 'MultiPolygon':
      return everyProblem(coordinates, 'MultiPolygon coordinates', (polygon) => everyProblem(polygon, 'each polygon of a MultiPolygon', ringProblem));
    case 'GeometryCollection':
      if (depth > 0) return 'a GeometryCollection cannot nest another one';
      if (!Array.isArray(geometries) || geometries.length === 0) return 'a GeometryCollection needs a non-empty "geometries" array';
      for (const geometry of geometries) {
        const problem = geometryProblem(geometry, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    default:
      return `unknown geometry type ${type}`;
  }
}
