import type { ActiveContext } from '../contexts/active-context';
import { assertName, isUri } from '../ngsi-ld/entity-input';
import type { Format, LanguagePreference, Projection, RenderOptions } from '../ngsi-ld/entity-output';
import { badRequest, NgsiLdError } from '../ngsi-ld/errors';
import { parseTypeSelection } from '../ngsi-ld/type-selection';
import { parseQ, QueryError, qToSql } from '../query';
import { parseScopeQ, scopeQToSql } from '../query/scope-query';
import type { EntitySelection, Page } from '../storage/entity.repository';

/** Query parameters as Fastify hands them over: repeated ones become arrays. */
export type QueryParameters = Record<string, string | string[] | undefined>;

/** `options` values and what each route accepts (clause 6.3.7 and the route tables of clause 6). */
const REPRESENTATIONS = new Set(['keyValues', 'simplified', 'concise', 'normalized']);

/** One value of a parameter; a repeated parameter is an error. */
export function single(query: QueryParameters, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw badRequest(`parameter ${name} is given more than once`);
  return value;
}

export function list(query: QueryParameters, name: string): string[] | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw badRequest(`parameter ${name} has an empty item`);
  return items;
}

export function flag(query: QueryParameters, name: string): boolean {
  const value = single(query, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw badRequest(`parameter ${name} must be true or false`);
}

/** The `options` tokens of a request, checked against those the route takes. */
export function optionsOf(query: QueryParameters, allowed: readonly string[]): Set<string> {
  const tokens = list(query, 'options') ?? [];
  for (const token of tokens) {
    if (!allowed.includes(token)) throw badRequest(`options=${token} is not supported here (allowed: ${allowed.join(', ')})`);
  }
  return new Set(tokens);
}

/** The representation (`format`, or `options`) and `sysAttrs`. */
export function representationOf(query: QueryParameters, extra: readonly string[] = []): { format: Format; sysAttrs: boolean; options: Set<string> } {
  const options = optionsOf(query, ['keyValues', 'simplified', 'concise', 'normalized', 'sysAttrs', ...extra]);
  const chosen = [...options].filter((token) => REPRESENTATIONS.has(token));
  const format = single(query, 'format');
  if (format !== undefined && !REPRESENTATIONS.has(format)) throw badRequest(`format=${format} is not one of keyValues, simplified, concise, normalized`);
  const all = new Set([...chosen, ...(format ? [format] : [])].map((token) => (token === 'simplified' ? 'keyValues' : token)));
  if (all.size > 1) throw badRequest(`conflicting representations asked for: ${[...all].join(', ')}`);
  return { format: ([...all][0] as Format | undefined) ?? 'normalized', sysAttrs: options.has('sysAttrs'), options };
}

/** `lang`: tags in order of preference (quality values honoured), `*` for any. */
export function languageOf(query: QueryParameters): LanguagePreference | undefined {
  const value = single(query, 'lang');
  if (value === undefined) return undefined;
  const ranked = value.split(',').map((part, order) => {
    const [tag = '', ...parameters] = part.split(';').map((piece) => piece.trim());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(tag)) throw badRequest(`lang: ${JSON.stringify(tag)} is not a language tag`);
    return { tag, q: q ? Number(q.slice(2)) : 1, order };
  });
  if (ranked.some((entry) => !(entry.q >= 0 && entry.q <= 1))) throw badRequest('lang: quality values are between 0 and 1');
  return { tags: ranked.filter((entry) => entry.q > 0).sort((a, b) => b.q - a.q || a.order - b.order).map((entry) => entry.tag) };
}

/** `attrs`, `pick` and `omit` as a projection (pick and omit cannot be combined). */
export function projectionOf(query: QueryParameters, context: ActiveContext): Projection | undefined {
  const attrs = list(query, 'attrs');
  const pick = list(query, 'pick');
  const omit = list(query, 'omit');
  if (pick && omit) throw badRequest('pick and omit cannot be used together');
  if (!attrs && !pick && !omit) return undefined;
  const expand = (names: string[]) => new Set(names.filter((name) => !['id', 'type', 'scope'].includes(name)).map((name) => (assertName(name, 'attribute'), context.expandTerm(name))));
  const projection: Projection = { id: true, type: true, scope: true };
  if (pick) {
    projection.id = pick.includes('id');
    projection.type = pick.includes('type');
    projection.scope = pick.includes('scope');
    projection.attrs = expand(pick);
  } else if (attrs) {
    projection.attrs = expand(attrs);
    projection.scope = false;
  }
  if (omit) {
    projection.id = !omit.includes('id');
    projection.type = !omit.includes('type');
    projection.scope = !omit.includes('scope');
    projection.omitAttrs = expand(omit);
  }
  if (attrs && pick) projection.attrs = new Set([...(projection.attrs ?? [])].filter((iri) => expand(attrs).has(iri)));
  return projection;
}

export function renderOptionsOf(query: QueryParameters, context: ActiveContext, extraOptions: readonly string[] = []): RenderOptions {
  const { format, sysAttrs } = representationOf(query, extraOptions);
  const projection = projectionOf(query, context);
  const lang = languageOf(query);
  const datasetIds = list(query, 'datasetId');
  return { context, format, sysAttrs, ...(projection && { projection }), ...(lang && { lang }), ...(datasetIds && { datasetIds: new Set(datasetIds) }) };
}

export function pageOf(query: QueryParameters, limits: { defaultLimit: number; maxLimit: number }): Page {
  const limit = integer(query, 'limit') ?? limits.defaultLimit;
  const offset = integer(query, 'offset') ?? 0;
  if (limit > limits.maxLimit) throw new NgsiLdError('TooManyResults', `limit=${limit} is above this broker's maximum of ${limits.maxLimit}`);
  return { limit, offset, count: flag(query, 'count') };
}

function integer(query: QueryParameters, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw badRequest(`${name} must be a non-negative integer`);
  return Number(value);
}

/** What a query asks for, as GET parameters or as the members of a POST /entityOperations/query. */
export interface QueryTerms {
  ids?: string[];
  idPattern?: string;
  type?: string;
  attrs?: string[];
  q?: string;
  scopeQ?: string;
  local?: boolean;
}

export function queryTermsOf(query: QueryParameters): QueryTerms {
  const terms: QueryTerms = {};
  const ids = list(query, 'id');
  if (ids) terms.ids = ids;
  for (const name of ['idPattern', 'type', 'q', 'scopeQ'] as const) {
    const value = single(query, name);
    if (value !== undefined) terms[name] = value;
  }
  // `attrs` also selects (entities with at least one of them); `pick` only projects.
  const attrs = list(query, 'attrs');
  if (attrs && attrs.length > 0) terms.attrs = attrs;
  terms.local = flag(query, 'local');
  return terms;
}

/** The entity selection of a query; the spec refuses a query that selects nothing in particular. */
export function selectionOf(tenant: string, terms: QueryTerms, context: ActiveContext, extra: EntitySelection['predicates'] = []): EntitySelection {
  const selection: EntitySelection = { tenant, predicates: [...extra] };
  if (terms.ids) {
    for (const id of terms.ids) if (!isUri(id)) throw badRequest(`id ${JSON.stringify(id)} is not a URI`);
    selection.ids = terms.ids;
  }
  if (terms.idPattern !== undefined) selection.idPattern = terms.idPattern;
  if (terms.type !== undefined) selection.types = parseTypeSelection(terms.type, (name) => context.expandTerm(name));
  if (terms.attrs) selection.attrs = terms.attrs.map((name) => (assertName(name, 'attribute'), context.expandTerm(name)));
  const options = { expand: (term: string) => context.expandTerm(term) };
  try {
    if (terms.q !== undefined) {
      const q = parseQ(terms.q, options);
      selection.predicates?.push((params) => qToSql(q, 'e', params));
    }
    if (terms.scopeQ !== undefined) {
      const scopeQ = parseScopeQ(terms.scopeQ);
      selection.predicates?.push((params) => scopeQToSql(scopeQ, 'e', params));
    }
  } catch (error) {
    throw asNgsiLdError(error);
  }
  const selective = selection.ids || selection.idPattern !== undefined || selection.types || selection.attrs || (selection.predicates?.length ?? 0) > 0 || terms.local;
  if (!selective) throw badRequest('a query needs at least one of id, idPattern, type, attrs, q, scopeQ or a geo-query (or local=true)');
  return selection;
}

/** The query languages' errors as the ProblemDetails they stand for. */
export function asNgsiLdError(error: unknown): unknown {
  if (error instanceof QueryError) return new NgsiLdError(error.problemType, error.message);
  return error;
}
