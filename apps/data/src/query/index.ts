export * from './query-error';
export type * from './q-ast';
export { parseQ, Q_LIMITS, type QParseOptions } from './q-parser';
export { qToSql } from './q-sql';
export { matchesQ } from './q-match';
export {
  parseScopeQ,
  scopeQToSql,
  matchesScopeQ,
  SCOPE_LIMITS,
  type ScopeNode,
  type ScopePattern,
} from './scope-query';
export {
  parseGeoQuery,
  parseGeoRel,
  geoQueryToSql,
  type GeoQuery,
  type GeoQueryInput,
  type GeoRel,
  type GeoRelation,
} from './geo-query';
export {
  validateGeometry,
  queryGeometry,
  geometryToGeoJson,
  geometrySql,
  QUERY_GEOMETRY_TYPES,
  type Geometry,
  type Position,
  type QueryGeometryType,
} from './geometry';
