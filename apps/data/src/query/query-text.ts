import { QueryError, type QueryParameter } from './query-error';

/**
 * Undoes one percent-encoding of a query parameter when the text still carries it (a client
 * that encoded twice, or a body member copied from a URL). Decoded text always shows its
 * operators or quotes plainly, so an escape is only decoded when no quote is present: a `%`
 * inside a quoted string stays as it is.
 */
export function decodeQueryText(text: string): string {
  if (text.includes('"') || !/%[0-9A-Fa-f]{2}/.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: the parser reports what is wrong with it
  }
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const FORBIDDEN = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses characters PostgreSQL cannot hold in text (NUL, unpaired surrogates) and oversized input. */
export function checkQueryText(parameter: QueryParameter, text: string, maxLength: number): void {
  if (text.length > maxLength) {
    throw new QueryError(
      'TooComplexQuery',
      parameter,
      `${parameter} is ${text.length} characters long; at most ${maxLength} are accepted`,
    );
  }
  const bad = FORBIDDEN.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new QueryError(
      'BadRequestData',
      parameter,
      `Invalid ${parameter} at character ${bad.index + 1}: the character U+${code} is not allowed`,
      bad.index,
    );
  }
}
