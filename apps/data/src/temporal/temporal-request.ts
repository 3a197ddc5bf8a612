import type { ActiveContext } from '../contexts/active-context';
import { geoPredicateOf } from '../entities/geo-options';
import { asNgsiLdError, list, type QueryParameters, type QueryTerms, queryTermsOf, single } from '../entities/query-options';
import { assertName, isUri } from '../ngsi-ld/entity-input';
import { badRequest } from '../ngsi-ld/errors';
import { parseTypeSelection, typeSelectionSql } from '../ngsi-ld/type-selection';
import type { SqlParams } from '../storage/sql-params';
import { parseQ, qToSql } from '../query';
import { parseScopeQ, scopeQToSql } from '../query/scope-query';
import type { TemporalSelection } from './history.repository';
import { parseAggregation, parseTemporalQuery, type TemporalInput } from './temporal-query';
import type { TemporalFormat } from './temporal-output';
import type { TemporalRead } from './temporal.service';

/** The `options` (and `format`) a temporal read takes. */
const TEMPORAL_OPTIONS = ['normalized', 'temporalValues', 'aggregatedValues', 'sysAttrs'];
const FORMATS = new Set(['normalized', 'temporalValues', 'aggregatedValues']);

/** What a temporal read asks for, from GET parameters; `temporalQ` (POST query) overrides the time parameters. */
export function temporalReadOf(query: QueryParameters, context: ActiveContext, limits: { maxLastN: number }, body?: { temporalQ?: TemporalInput; attrs?: string[] }): TemporalRead {
  const tokens = list(query, 'options') ?? [];
  for (const token of tokens) if (!TEMPORAL_OPTIONS.includes(token)) throw badRequest(`options=${token} is not supported on temporal routes (allowed: ${TEMPORAL_OPTIONS.join(', ')})`);
  const format = single(query, 'format');
  if (format !== undefined && !FORMATS.has(format)) throw badRequest(`format=${format} is not one of normalized, temporalValues, aggregatedValues`);
  const chosen = new Set([...tokens.filter((token) => FORMATS.has(token)), ...(format ? [format] : [])]);
  if (chosen.size > 1) throw badRequest(`conflicting representations asked for: ${[...chosen].join(', ')}`);
  const representation = ([...chosen][0] as TemporalFormat | undefined) ?? 'normalized';
  const temporal = body?.temporalQ ?? {
    timerel: single(query, 'timerel'),
    timeAt: single(query, 'timeAt'),
    endTimeAt: single(query, 'endTimeAt'),
    timeproperty: single(query, 'timeproperty'),
    lastN: single(query, 'lastN'),
  };
  const read: TemporalRead = { context, query: parseTemporalQuery(temporal, limits), format: representation, sysAttrs: tokens.includes('sysAttrs') };
  const methods = single(query, 'aggrMethods');
  const period = single(query, 'aggrPeriodDuration');
  if (representation === 'aggregatedValues') read.aggregation = parseAggregation(methods, period);
  else if (methods !== undefined || period !== undefined) throw badRequest('aggrMethods and aggrPeriodDuration apply only with options=aggregatedValues');
  const attrs = body?.attrs ?? list(query, 'attrs');
  if (attrs) read.attrs = attrs.map((name) => (assertName(name, 'attribute'), context.expandTerm(name)));
  return read;
}

/** The entities a GET /temporal/entities selects (clause 5.7.4): as an entity query, over the entities the history knows. */
export function temporalSelectionOfQuery(tenant: string, query: QueryParameters, context: ActiveContext): TemporalSelection {
  const geo = geoPredicateOf(query, context);
  return temporalSelectionOf(tenant, queryTermsOf(query), context, geo);
}

/**
 * `q` and geo-queries are evaluated against the entity's current state (an entity deleted from
 * the current state no longer matches them); id, idPattern, type, scopeQ and attrs against the
 * history's own record of the entity.
 */
export function temporalSelectionOf(tenant: string, terms: QueryTerms, context: ActiveContext, geo?: Predicate, selectors: TemporalQueryBody['selectors'] = []): TemporalSelection {
  const selection: TemporalSelection = { tenant, predicates: [], currentPredicates: geo ? [geo] : [] };
  if (selectors.length > 0) selection.predicates?.push(selectorsPredicate(selectors, context));
  if (terms.ids) {
    for (const id of terms.ids) if (!isUri(id)) throw badRequest(`id ${JSON.stringify(id)} is not a URI`);
    selection.ids = terms.ids;
  }
  if (terms.idPattern !== undefined) selection.idPattern = terms.idPattern;
  if (terms.type !== undefined) selection.types = parseTypeSelection(terms.type, (name) => context.expandTerm(name));
  if (terms.attrs) selection.attrs = terms.attrs.map((name) => (assertName(name, 'attribute'), context.expandTerm(name)));
  try {
    if (terms.q !== undefined) {
      const q = parseQ(terms.q, { expand: (term) => context.expandTerm(term) });
      selection.currentPredicates?.push((params) => qToSql(q, 'e', params));
    }
    if (terms.scopeQ !== undefined) {
      const scopeQ = parseScopeQ(terms.scopeQ);
      selection.predicates?.push((params) => scopeQToSql(scopeQ, 'te', params));
    }
  } catch (error) {
    throw asNgsiLdError(error);
  }
  const selective = selectors.length > 0 || selection.ids || selection.idPattern !== undefined || selection.types || selection.attrs || (selection.predicates?.length ?? 0) > 0 || (selection.currentPredicates?.length ?? 0) > 0 || terms.local;
  if (!selective) throw badRequest('a temporal query needs at least one of id, idPattern, type, attrs, q, scopeQ or a geo-query (or local=true)');
  return selection;
}

/** The members of a temporal Query body (clause 5.2.23 with temporalQ). */
export interface TemporalQueryBody {
  selectors: { id?: string; idPattern?: string; type?: string }[];
  attrs?: string[];
  q?: string;
  scopeQ?: string;
  geoQ?: Record<string, unknown>;
  temporalQ?: TemporalInput;
}

export function temporalQueryBodyOf(body: unknown): TemporalQueryBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('a query is a JSON object of type "Query"');
  const raw = body as Record<string, unknown>;
  if (raw['type'] !== 'Query') throw badRequest('a query must have "type": "Query"');
  const out: TemporalQueryBody = { selectors: [] };
  if (raw['entities'] !== undefined) {
    const entities = raw['entities'];
    if (!Array.isArray(entities) || entities.length === 0) throw badRequest('"entities" must be a non-empty array of EntitySelectors');
    out.selectors = entities.map((selector) => {
      if (typeof selector !== 'object' || selector === null) throw badRequest('each EntitySelector is an object');
      const picked: Record<string, string> = {};
      for (const name of ['id', 'idPattern', 'type']) {
        const value = (selector as Record<string, unknown>)[name];
        if (value === undefined) continue;
        if (typeof value !== 'string') throw badRequest(`EntitySelector ${name} must be a string`);
        picked[name] = value;
      }
      return picked;
    });
  }
  if (raw['attrs'] !== undefined) {
    if (!Array.isArray(raw['attrs']) || !raw['attrs'].every((name) => typeof name === 'string')) throw badRequest('"attrs" must be an array of attribute names');
    out.attrs = raw['attrs'] as string[];
  }
  for (const name of ['q', 'scopeQ'] as const) {
    if (raw[name] === undefined) continue;
    if (typeof raw[name] !== 'string') throw badRequest(`"${name}" must be a string`);
    out[name] = raw[name] as string;
  }
  for (const name of ['geoQ', 'temporalQ'] as const) {
    if (raw[name] === undefined) continue;
    if (typeof raw[name] !== 'object' || raw[name] === null || Array.isArray(raw[name])) throw badRequest(`"${name}" must be an object`);
  }
  if (raw['geoQ']) out.geoQ = raw['geoQ'] as Record<string, unknown>;
  if (raw['temporalQ']) out.temporalQ = raw['temporalQ'] as TemporalInput;
  return out;
}

type Predicate = (params: SqlParams) => string;

/** EntitySelectors are alternatives: an entity matches one of them (each: all its members). */
function selectorsPredicate(selectors: TemporalQueryBody['selectors'], context: ActiveContext): Predicate {
  const compiled = selectors.map((selector) => {
    if (selector.id !== undefined && !isUri(selector.id)) throw badRequest(`EntitySelector id ${JSON.stringify(selector.id)} is not a URI`);
    const types = selector.type !== undefined ? parseTypeSelection(selector.type, (name) => context.expandTerm(name)) : undefined;
    return { ...selector, types };
  });
  return (params) =>
    compiled
      .map((selector) => {
        const clauses = ['true'];
        if (selector.id !== undefined) clauses.push(`te.id = ${params.add(selector.id)}`);
        if (selector.idPattern !== undefined) clauses.push(`te.id ~ ${params.add(selector.idPattern)}`);
        if (selector.types) clauses.push(typeSelectionSql(selector.types, params, 'te.types'));
        return `(${clauses.join(' AND ')})`;
      })
      .join(' OR ');
}
