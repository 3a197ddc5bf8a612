/** The NGSI-LD problem types a query can be refused with (ETSI GS CIM 009, clause 5.5.2). */
export type QueryProblemType = 'BadRequestData' | 'InvalidRequest' | 'TooComplexQuery';

/** Which request member the refused text came from, so the message can name it. */
export type QueryParameter =
  'q' | 'scopeQ' | 'geoQ' | 'geometry' | 'coordinates' | 'georel' | 'geoproperty' | 'GeoProperty';

/**
 * A query (or a geometry) the broker refuses. `problemType` is the NGSI-LD error type to
 * answer with; `position` is the 0-based index in the refused text, when there is one.
 */
export class QueryError extends Error {
  constructor(
    readonly problemType: QueryProblemType,
    readonly parameter: QueryParameter,
    message: string,
    readonly position?: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** A syntax or value error at `position` of `text` (0-based), with what was found there. */
export function syntaxError(
  parameter: QueryParameter,
  text: string,
  position: number,
  expected: string,
): QueryError {
  const found = position >= text.length ? 'the end of the text' : `"${excerpt(text, position)}"`;
  return new QueryError(
    'BadRequestData',
    parameter,
    `Invalid ${parameter} at character ${position + 1}: expected ${expected}, found ${found}`,
    position,
  );
}

function excerpt(text: string, position: number): string {
  const rest = text.slice(position);
  return rest.length > 20 ? `${rest.slice(0, 20)}…` : rest;
}
