import type { ActiveContext } from '../contexts/active-context';
import { assertName } from '../ngsi-ld/entity-input';
import { geoQueryToSql, parseGeoQuery } from '../query';
import type { SqlParams } from '../storage/sql-params';
import { asNgsiLdError, type QueryParameters, single } from './query-options';

const LOCATION = 'location';

type Predicate = (params: SqlParams) => string;

/** The GeoProperty a GeoJSON response takes its geometry from (`geometryProperty`, default location). */
export function geometryPropertyOf(query: QueryParameters, context: ActiveContext): string {
  const name = single(query, 'geometryProperty') ?? LOCATION;
  assertName(name, 'geometryProperty');
  return context.expandTerm(name);
}

/** The geo-query of GET parameters (georel, geometry, coordinates, geoproperty), compiled; undefined when absent. */
export function geoPredicateOf(query: QueryParameters, context: ActiveContext): Predicate | undefined {
  return compile(
    { georel: single(query, 'georel'), geometry: single(query, 'geometry'), coordinates: single(query, 'coordinates'), geoproperty: single(query, 'geoproperty') },
    context,
  );
}

/** The `geoQ` member of a Query body, compiled. */
export function geoQueryPredicateOf(geoQ: Record<string, unknown>, context: ActiveContext): Predicate | undefined {
  return compile(geoQ, context);
}

function compile(input: Record<string, unknown>, context: ActiveContext): Predicate | undefined {
  try {
    const geo = parseGeoQuery(input, { expand: (term) => context.expandTerm(term) });
    return geo && ((params) => geoQueryToSql(geo, 'e', params));
  } catch (error) {
    throw asNgsiLdError(error);
  }
}
