import type { SqlParams } from '../storage/sql-params';
import { badRequest } from './errors';

/**
 * The entity type selection language (clause 4.17): type names combined with `,` or `|` (or)
 * and `;` (and), with parentheses; `;` binds tighter. Held as a disjunction of conjunctions of
 * expanded type IRIs, which is what the `types` GIN index answers (`@>` per conjunction).
 */
export type TypeSelection = string[][];

export function parseTypeSelection(text: string, expand: (name: string) => string): TypeSelection {
  let at = 0;
  const fail = (what: string): never => {
    throw badRequest(`type ${JSON.stringify(text)}: ${what} at position ${at}`);
  };
  const name = (): TypeSelection => {
    const start = at;
    while (at < text.length && !',|;()'.includes(text[at] as string)) at++;
    const raw = text.slice(start, at).trim();
    if (raw === '') fail('expected a type name');
    if (/\s/.test(raw)) fail(`type name ${JSON.stringify(raw)} contains a space`);
    return [[expand(raw)]];
  };
  const factor = (): TypeSelection => {
    if (text[at] === '(') {
      at++;
      const inner = disjunction();
      if (text[at] !== ')') fail('expected ")"');
      at++;
      return inner;
    }
    return name();
  };
  const conjunction = (): TypeSelection => {
    let result = factor();
    while (text[at] === ';') {
      at++;
      const right = factor();
      result = result.flatMap((left) => right.map((other) => [...new Set([...left, ...other])]));
    }
    return result;
  };
  const disjunction = (): TypeSelection => {
    let result = conjunction();
    while (text[at] === ',' || text[at] === '|') {
      at++;
      result = [...result, ...conjunction()];
    }
    return result;
  };
  const selection = disjunction();
  if (at !== text.length) fail(`unexpected ${JSON.stringify(text[at])}`);
  if (selection.length > 64) fail('too many alternatives');
  return selection;
}

/** SQL over `e.types` for a selection. */
export function typeSelectionSql(selection: TypeSelection, params: SqlParams, column = 'e.types'): string {
  if (selection.every((all) => all.length === 1)) return `${column} && ${params.add(selection.map((all) => all[0]), 'text[]')}`;
  return `(${selection.map((all) => `${column} @> ${params.add(all, 'text[]')}`).join(' OR ')})`;
}

export function matchesTypeSelection(selection: TypeSelection, types: readonly string[]): boolean {
  return selection.some((all) => all.every((type) => types.includes(type)));
}
