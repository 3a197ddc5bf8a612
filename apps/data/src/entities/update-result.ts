import type { ActiveContext } from '../contexts/active-context';
import type { UpdateResult } from '../ngsi-ld/entity-mutations';

/** The UpdateResult body of a 207 (clause 5.2.18), names compacted with the client's context. */
export function renderUpdateResult(result: UpdateResult, context: ActiveContext) {
  return {
    updated: result.updated.map((iri) => context.compactIri(iri)),
    notUpdated: result.notUpdated.map((entry) => ({ attributeName: context.compactIri(entry.attribute), reason: entry.reason })),
  };
}
