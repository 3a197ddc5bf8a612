import { matchesScopeQ, parseScopeQ } from './scope-query';
import { QueryError } from './query-error';
import { ENTITIES, SCOPE_CASES } from './query-fixtures.test-helpers';

describe('parseScopeQ (clause 4.19)', () => {
  it('reads scopes, # and + and the operators with ; binding tighter', () => {
    expect(parseScopeQ('/Madrid/Gardens')).toEqual({
      kind: 'scope',
      levels: ['Madrid', 'Gardens'],
      descendants: false,
    });
    expect(parseScopeQ('/Madrid/#')).toEqual({ kind: 'scope', levels: ['Madrid'], descendants: true });
    expect(parseScopeQ('/#')).toEqual({ kind: 'scope', levels: [], descendants: true });
    expect(parseScopeQ('/Madrid/+')).toEqual({ kind: 'scope', levels: ['Madrid', '+'], descendants: false });
    expect(parseScopeQ('/a,/b;/c')).toMatchObject({
      kind: 'or',
      operands: [{ levels: ['a'] }, { kind: 'and' }],
    });
    expect(parseScopeQ('(/a|/b);/c')).toMatchObject({
      kind: 'and',
      operands: [{ kind: 'or' }, { levels: ['c'] }],
    });
    expect(parseScopeQ('%2FMadrid%2F%23')).toEqual({ kind: 'scope', levels: ['Madrid'], descendants: true });
  });

  it.each([
    ['', 1, 'expected a scope'],
    ['Madrid', 1, 'starting with "/"'],
    ['/Madrid/', 9, 'a scope level'],
    ['/Madrid/#/x', 10, 'nothing after "#"'],
    ['/Ma drid', 4, 'or the end of the scopeQ'],
    ['(/a;/b', 1, 'never closed'],
    ['/a)', 3, 'closes no "("'],
    ['/a;', 4, 'starting with "/"'],
  ])('refuses %j at character %i (%s)', (text, character, message) => {
    let error: unknown;
    try {
      parseScopeQ(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).problemType).toBe('BadRequestData');
    expect((error as QueryError).message).toContain(message);
    expect((error as QueryError).message).toContain(`character ${character}`);
  });

  it.each(SCOPE_CASES.map((c) => [c.scopeQ, c] as const))('matchesScopeQ %s', (_s, c) => {
    const query = parseScopeQ(c.scopeQ);
    expect(ENTITIES.filter((entity) => matchesScopeQ(query, entity)).map((entity) => entity.id)).toEqual(
      c.expected,
    );
  });
});
