export * from './query-error';
export type * from './q-ast';
export { parseQ, Q_LIMITS, type QParseOptions } from './q-parser';
export { qToSql } from './q-sql';
export { matchesQ } from './q-match';
