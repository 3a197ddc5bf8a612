import type { GeoQuery } from '../query';

/** [west, south, east, north] in degrees. */
type Box = [number, number, number, number];

/** Metres per degree of latitude (and of longitude at the equator), a little low so boxes err on the large side. */
const METRES_PER_DEGREE = 110_000;

/**
 * Whether an entity whose GeoProperty has these geometries can be in the geo-query at all,
 * judged by bounding boxes: false only when it certainly cannot (the boxes, the query's grown
 * by a near maxDistance, do not meet). PostGIS still decides every entity this lets through;
 * this only spares it the ones far away. Relations a distant entity satisfies (disjoint,
 * near;minDistance) and boxes near the poles or the antimeridian are always let through.
 */
export function mayMatchGeoQuery(query: GeoQuery, geometries: readonly unknown[]): boolean {
  const rel = query.georel;
  if (rel.relation === 'disjoint' || (rel.relation === 'near' && rel.maxDistance === undefined)) return true;
  let reference = boxOf(query.geometry);
  if (!reference) return true;
  if (rel.relation === 'near') {
    const lat = rel.maxDistance / METRES_PER_DEGREE;
    const highest = Math.max(Math.abs(reference[1] - lat), Math.abs(reference[3] + lat));
    if (highest >= 80) return true;
    const lon = rel.maxDistance / (METRES_PER_DEGREE * Math.cos((highest * Math.PI) / 180));
    reference = [reference[0] - lon, reference[1] - lat, reference[2] + lon, reference[3] + lat];
    if (reference[0] < -180 || reference[2] > 180) return true;
  }
  return geometries.some((geometry) => {
    const box = boxOf(geometry);
    return (
      !box ||
      (box[0] <= (reference as Box)[2] &&
        box[2] >= (reference as Box)[0] &&
        box[1] <= (reference as Box)[3] &&
        box[3] >= (reference as Box)[1])
    );
  });
}

/** The bounding box of a GeoJSON geometry; undefined when it has no readable positions. */
function boxOf(geometry: unknown): Box | undefined {
  const box: Box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'number' && typeof value[1] === 'number') {
      box[0] = Math.min(box[0], value[0]);
      box[1] = Math.min(box[1], value[1]);
      box[2] = Math.max(box[2], value[0]);
      box[3] = Math.max(box[3], value[1]);
      return;
    }
    for (const item of value) visit(item);
  };
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const object = value as { coordinates?: unknown; geometries?: unknown[] };
    if (Array.isArray(object.geometries)) for (const part of object.geometries) walk(part);
    else visit(object.coordinates);
  };
  walk(geometry);
  return box[0] === Infinity ? undefined : box;
}
