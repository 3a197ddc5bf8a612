import type { ActiveContext } from '../contexts/active-context';
import { assertName } from '../ngsi-ld/entity-input';
import type { SqlParams } from '../storage/sql-params';
import { type QueryParameters, single } from './query-options';

const LOCATION = 'location';

/** The GeoProperty a GeoJSON response takes its geometry from (`geometryProperty`, default location). */
export function geometryPropertyOf(query: QueryParameters, context: ActiveContext): string {
  const name = single(query, 'geometryProperty') ?? LOCATION;
  assertName(name, 'geometryProperty');
  return context.expandTerm(name);
}

/** The geo-query of GET parameters (georel, geometry, coordinates, geoproperty), compiled; undefined when absent. */
export function geoPredicateOf(query: QueryParameters, context: ActiveContext): ((params: SqlParams) => string) | undefined {
  const georel = single(query, 'georel');
  const geometry = single(query, 'geometry');
  const coordinates = single(query, 'coordinates');
  if (georel === undefined && geometry === undefined && coordinates === undefined) return undefined;
  void context;
  throw new Error('geo-queries are not wired yet');
}

/** The `geoQ` member of a Query body, compiled. */
export function geoQueryPredicateOf(geoQ: Record<string, unknown>, context: ActiveContext): (params: SqlParams) => string {
  void geoQ;
  void context;
  throw new Error('geo-queries are not wired yet');
}
