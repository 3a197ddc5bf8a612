import { ActiveContext, ContextProcessingError } from './active-context';

describe('ActiveContext', () => {
  it('resolves terms, prefixes and compact IRIs in any order of definition', () => {
    const context = ActiveContext.from([
      { speed: 'sdm:speed', sdm: 'https://smartdatamodels.org/', schema: 'https://schema.org/', name: { '@id': 'schema:name' }, 'sdm:own': {} },
    ]);
    expect(context.expandTerm('speed')).toBe('https://smartdatamodels.org/speed');
    expect(context.expandTerm('name')).toBe('https://schema.org/name');
    expect(context.expandTerm('schema:address')).toBe('https://schema.org/address');
    expect(context.expandTerm('sdm:own')).toBe('https://smartdatamodels.org/own');
    expect(context.expandTerm('https://other.example/x')).toBe('https://other.example/x');
    expect(context.expandTerm('unknown')).toBe('unknown');
  });

  it('uses @vocab for undefined terms and compacts back to the shortest form', () => {
    const context = ActiveContext.from([{ '@vocab': 'https://city.example/vocab#', ex: 'https://example.org/', t: 'ex:t', tt: 'ex:t' }]);
    expect(context.expandTerm('anything')).toBe('https://city.example/vocab#anything');
    expect(context.compactIri('https://city.example/vocab#anything')).toBe('anything');
    expect(context.compactIri('https://example.org/t')).toBe('t');
    expect(context.compactIri('https://example.org/other')).toBe('ex:other');
  });

  it('lets later contexts override earlier ones, and null undefine a term', () => {
    const context = ActiveContext.from([{ a: 'https://one.example/a', b: 'https://one.example/b' }, { a: 'https://two.example/a', b: null }]);
    expect(context.expandTerm('a')).toBe('https://two.example/a');
    expect(context.expandTerm('b')).toBe('b');
  });

  it('refuses cyclic and malformed definitions', () => {
    expect(() => ActiveContext.from([{ a: 'b', b: 'a' }])).toThrow(ContextProcessingError);
    expect(() => ActiveContext.from([{ a: 42 }])).toThrow(ContextProcessingError);
    expect(() => ActiveContext.from([{ '@vocab': 7 }])).toThrow(ContextProcessingError);
  });
});
