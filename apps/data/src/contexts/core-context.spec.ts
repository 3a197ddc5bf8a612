import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ActiveContext, type LocalContext } from './active-context';
import { CORE_CONTEXT } from './core-context';

const REFERENCE = path.resolve(__dirname, '../../../../../shared/ngsi-ld/contexts/ngsi-ld-core-context-v1.9.jsonld');
const core = ActiveContext.from([CORE_CONTEXT['@context'] as unknown as LocalContext]);

describe('the built-in core @context', () => {
  (existsSync(REFERENCE) ? it : it.skip)('is the reference copy of the v1.9 core context, term for term', () => {
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { '@context': Record<string, unknown> };
    expect(CORE_CONTEXT['@context']).toEqual(reference['@context']);
  });

  it.each([
    ['Property', 'https://uri.etsi.org/ngsi-ld/Property'],
    ['location', 'https://uri.etsi.org/ngsi-ld/location'],
    ['observedAt', 'https://uri.etsi.org/ngsi-ld/observedAt'],
    ['Point', 'https://purl.org/geojson/vocab#Point'],
    ['description', 'http://purl.org/dc/terms/description'],
    ['temperature', 'https://uri.etsi.org/ngsi-ld/default-context/temperature'],
  ])('expands %s to %s', (term, iri) => {
    expect(core.expandTerm(term)).toBe(iri);
    expect(core.compactIri(iri)).toBe(term);
  });

  it('compacts other ngsi-ld IRIs with the prefix and leaves foreign IRIs whole', () => {
    expect(core.compactIri('https://uri.etsi.org/ngsi-ld/somethingNew')).toBe('ngsi-ld:somethingNew');
    expect(core.compactIri('https://example.org/vocab#thing')).toBe('https://example.org/vocab#thing');
  });
});
