import type { StoredEntity } from '../ngsi-ld/stored';
import type { SqlParams } from '../storage/sql-params';
import { QueryError, syntaxError } from './query-error';
import { checkQueryText, decodeQueryText } from './query-text';

/** A parsed scopeQ (clause 4.19). */
export type ScopeNode = { kind: 'and' | 'or'; operands: ScopeNode[] } | ScopePattern;

/**
 * One scope pattern: its levels (`+` matches exactly one level) and whether a final `#`
 * extends it to everything below (`/Madrid/#` is `/Madrid` and all its sub-scopes; `/#` any scope).
 */
export interface ScopePattern {
  kind: 'scope';
  levels: string[];
  descendants: boolean;
}

export const SCOPE_LIMITS = { maxLength: 4096, maxDepth: 16, maxScopes: 100 } as const;

const LEVEL_CHAR = /[\p{L}\p{N}_]/u;

/**
 * Parses a scopeQ: scopes combined with `;` (and) and `|` or `,` (or), `;` binding tighter,
 * parentheses grouping. Throws QueryError (BadRequestData) naming the position.
 */
export function parseScopeQ(text: string): ScopeNode {
  const decoded = decodeQueryText(text);
  checkQueryText('scopeQ', decoded, SCOPE_LIMITS.maxLength);
  let pos = 0;
  let depth = 0;
  let scopes = 0;
  const peek = (): string => decoded[pos] ?? '';
  const expected = (what: string): QueryError => syntaxError('scopeQ', decoded, pos, what);

  const disjunction = (): ScopeNode => {
    const operands = [conjunction()];
    while (peek() === '|' || peek() === ',') {
      pos++;
      operands.push(conjunction());
    }
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  };
  const conjunction = (): ScopeNode => {
    const operands = [primary()];
    while (peek() === ';') {
      pos++;
      operands.push(primary());
    }
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  };
  const primary = (): ScopeNode => {
    if (peek() === '(') {
      const open = pos++;
      if (++depth > SCOPE_LIMITS.maxDepth) {
        throw new QueryError(
          'TooComplexQuery',
          'scopeQ',
          `scopeQ nests deeper than ${SCOPE_LIMITS.maxDepth} levels`,
          pos,
        );
      }
      const node = disjunction();
      if (peek() !== ')') {
        throw pos >= decoded.length
          ? new QueryError(
              'BadRequestData',
              'scopeQ',
              `Invalid scopeQ at character ${open + 1}: "(" is never closed`,
              open,
            )
          : expected('";", "|", "," or ")"');
      }
      pos++;
      depth--;
      return node;
    }
    return scope();
  };
  const scope = (): ScopePattern => {
    if (++scopes > SCOPE_LIMITS.maxScopes) {
      throw new QueryError(
        'TooComplexQuery',
        'scopeQ',
        `scopeQ has more than ${SCOPE_LIMITS.maxScopes} scopes`,
        pos,
      );
    }
    if (peek() !== '/') throw expected('a scope starting with "/" (e.g. /Madrid/Gardens) or "("');
    const levels: string[] = [];
    let descendants = false;
    while (peek() === '/') {
      pos++;
      if (peek() === '#') {
        pos++;
        descendants = true;
        if (peek() === '/') throw expected('nothing after "#" (it must be the last level)');
        break;
      }
      if (peek() === '+') {
        pos++;
        levels.push('+');
        continue;
      }
      const start = pos;
      while (pos < decoded.length && LEVEL_CHAR.test(peek())) pos++;
      if (pos === start) throw expected('a scope level (letters, digits or _), "+" or "#"');
      levels.push(decoded.slice(start, pos));
    }
    return { kind: 'scope', levels, descendants };
  };

  if (decoded.length === 0) throw expected('a scope');
  const node = disjunction();
  if (pos < decoded.length) {
    throw peek() === ')'
      ? new QueryError(
          'BadRequestData',
          'scopeQ',
          `Invalid scopeQ at character ${pos + 1}: ")" closes no "("`,
          pos,
        )
      : expected('";" (and), "|" or "," (or), or the end of the scopeQ');
  }
  return node;
}

/** A boolean SQL expression over `alias.scopes`; plain scopes use the GIN index (`&&`). */
export function scopeQToSql(query: ScopeNode, alias: string, params: SqlParams): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
  const compile = (node: ScopeNode): string => {
    if (node.kind !== 'scope') {
      return `(${node.operands.map(compile).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    if (node.levels.length === 0) return `cardinality(${alias}.scopes) > 0`;
    if (!node.descendants && !node.levels.includes('+')) {
      const scope = node.levels.join('/');
      return `${alias}.scopes && ${params.add([`/${scope}`, scope], 'text[]')}`;
    }
    return `EXISTS (SELECT 1 FROM unnest(${alias}.scopes) AS s(scope) WHERE s.scope ~ ${params.add(scopeRegex(node))})`;
  };
  return compile(query);
}

/** Whether the entity's scopes satisfy the query (same semantics as `scopeQToSql`). */
export function matchesScopeQ(query: ScopeNode, entity: Pick<StoredEntity, 'scopes'>): boolean {
  switch (query.kind) {
    case 'and':
      return query.operands.every((operand) => matchesScopeQ(operand, entity));
    case 'or':
      return query.operands.some((operand) => matchesScopeQ(operand, entity));
    case 'scope': {
      if (query.levels.length === 0) return entity.scopes.length > 0;
      const regex = new RegExp(scopeRegex(query), 'u');
      return entity.scopes.some((scope) => regex.test(scope));
    }
  }
}

/** The anchored pattern (valid in JavaScript and PostgreSQL alike) a stored scope must match. */
function scopeRegex(pattern: ScopePattern): string {
  // Levels are letters, digits and `_` only, so they need no escaping. A stored scope may omit
  // its leading `/` (the Scope grammar makes it optional).
  const levels = pattern.levels.map((level) => (level === '+' ? '[^/]+' : level)).join('/');
  return `^/?${levels}${pattern.descendants ? '(/.+)?' : ''}$`;
}
