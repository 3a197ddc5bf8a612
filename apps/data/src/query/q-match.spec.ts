import type { StoredEntity } from '../ngsi-ld/stored';
import { matchesQ } from './q-match';
import { parseQ } from './q-parser';
import { ENTITIES, expand, Q_CASES, Q_OPTIONS } from './query-fixtures.test-helpers';

const select = (q: string, expandValues?: string[]): string[] => {
  const query = parseQ(q, { ...Q_OPTIONS, expandValues });
  return ENTITIES.filter((entity) => matchesQ(query, entity)).map((entity) => entity.id);
};

describe('matchesQ on the shared fixtures', () => {
  it.each(Q_CASES.map((c) => [c.q, c.expandValues?.join(',') ?? '', c] as const))(
    '%s (expandValues=%s)',
    (_q, _e, c) => {
      expect(select(c.q, c.expandValues)).toEqual(c.expected);
    },
  );
});

describe('matchesQ semantics', () => {
  const one = (attrs: Record<string, unknown[]>): StoredEntity => ({
    id: 'urn:x',
    types: [],
    scopes: [],
    attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [expand(k), v])) as StoredEntity['attrs'],
    createdAt: '2024-01-01T00:00:00Z',
    modifiedAt: '2024-01-01T00:00:00Z',
  });
  const matches = (q: string, entity: StoredEntity) => matchesQ(parseQ(q, Q_OPTIONS), entity);

  it('treats values of another type as unequal: != holds, == and ordering do not', () => {
    const e = one({ speed: [{ type: 'Property', value: '100' }] });
    expect(matches('speed==100', e)).toBe(false);
    expect(matches('speed!=100', e)).toBe(true);
    expect(matches('speed>1', e)).toBe(false);
  });

  it('requires the target to exist for != and !~=', () => {
    const e = one({});
    expect(matches('speed!=1', e)).toBe(false);
    expect(matches('name!~=x', e)).toBe(false);
  });

  it('looks at a member only where the instance type keeps its value', () => {
    const e = one({ a: [{ type: 'Relationship', object: 'urn:y', value: 'urn:y' }] });
    expect(matches('a==urn:y', e)).toBe(true);
    expect(matches('a>"urn:a"', e)).toBe(false);
    expect(matches('a~=urn', e)).toBe(false);
  });

  it('matches any instance of a multi-instance attribute', () => {
    const e = one({
      a: [
        { type: 'Property', value: 1 },
        { type: 'Property', value: 2, datasetId: 'urn:d' },
      ],
    });
    expect(matches('a==2', e)).toBe(true);
    expect(matches('a!=1', e)).toBe(false);
    expect(matches('a.datasetId==urn:d', e)).toBe(true);
  });
});
