import { appendAttributes, createEntity, deleteAttribute, mergeEntity, observe, updateAttributes, upsertEntity } from './entity-mutations';
import { NgsiLdError } from './errors';
import type { StoredAttribute, StoredEntity } from './stored';

const T0 = '2026-12-01T00:00:00.000Z';
const T1 = '2026-12-01T01:00:00.000Z';
const p = (value: unknown, extra: Partial<StoredAttribute> = {}): StoredAttribute => ({ type: 'Property', value: value as never, createdAt: T0, modifiedAt: T0, ...extra });
const entity = (attrs: StoredEntity['attrs']): StoredEntity => ({ id: 'urn:e:1', types: ['T'], scopes: [], attrs, createdAt: T0, modifiedAt: T0 });

describe('entity mutations', () => {
  it('create refuses an existing entity; upsert creates or replaces', () => {
    const parsed = { id: 'urn:e:1', types: ['T'], attrs: { a: [p(1)] } };
    expect(createEntity(parsed)(null, T1).next).toMatchObject({ id: 'urn:e:1', attrs: { a: [p(1)] } });
    expect(() => createEntity(parsed)(entity({}), T1)).toThrow(NgsiLdError);
    expect(upsertEntity(parsed, 'replace')(null, T1).result).toBe(true);
    const replaced = upsertEntity({ ...parsed, attrs: { b: [p(2)] } }, 'replace')(entity({ a: [p(1)] }), T1);
    expect(replaced).toMatchObject({ result: false, next: { attrs: { b: [p(2)] } } });
    expect(replaced.next?.attrs['a']).toBeUndefined();
  });

  it('append with noOverwrite reports what exists; update reports what is missing', () => {
    const current = entity({ a: [p(1)] });
    expect(appendAttributes('urn:e:1', { a: [p(9)], b: [p(2)] }, true)(current, T1).result).toEqual({ updated: ['b'], notUpdated: [{ attribute: 'a', reason: expect.any(String) }] });
    expect(updateAttributes('urn:e:1', { a: [p(9)], z: [p(0)] })(current, T1).result).toEqual({ updated: ['a'], notUpdated: [{ attribute: 'z', reason: expect.any(String) }] });
  });

  it('merge replaces members, merges sub-attributes and deletes on null, keeping createdAt', () => {
    const current = entity({ a: [p(1, { unitCode: 'CEL', 'urn:sub': p('x') })], gone: [p(0)] });
    const next = mergeEntity('urn:e:1', { attrs: { a: [{ type: 'Property', value: 2, createdAt: T1, modifiedAt: T1 }], gone: null } })(current, T1).next as StoredEntity;
    expect(next.attrs['a']).toEqual([{ type: 'Property', value: 2, unitCode: 'CEL', 'urn:sub': p('x'), createdAt: T0, modifiedAt: T1 }]);
    expect(next.attrs['gone']).toBeUndefined();
  });

  it('leaves what it does not touch as the same objects (the store stamps only new ones)', () => {
    const kept = p(1);
    const current = entity({ kept: [kept], changed: [p(2)] });
    const next = appendAttributes('urn:e:1', { changed: [p(3)] }, false)(current, T1).next as StoredEntity;
    expect(next.attrs['kept']?.[0]).toBe(kept);
    expect(next.attrs['changed']?.[0]).not.toBe(current.attrs['changed']?.[0]);
  });

  it('deletes one dataset instance, the default one, or all', () => {
    const current = entity({ a: [p(1), p(2, { datasetId: 'urn:d:1' })] });
    expect(deleteAttribute('urn:e:1', 'a', { datasetId: 'urn:d:1', deleteAll: false })(current, T1).next?.attrs['a']).toEqual([p(1)]);
    expect(deleteAttribute('urn:e:1', 'a', { deleteAll: false })(current, T1).next?.attrs['a']).toEqual([p(2, { datasetId: 'urn:d:1' })]);
    expect(deleteAttribute('urn:e:1', 'a', { deleteAll: true })(current, T1).next?.attrs['a']).toBeUndefined();
    expect(() => deleteAttribute('urn:e:1', 'a', { datasetId: 'urn:d:9', deleteAll: false })(current, T1)).toThrow(NgsiLdError);
  });

  it('an observation creates the entity, then replaces the default instance and keeps its sub-attributes', () => {
    const first = observe('urn:e:1', 'T', { a: p(1) })(null, T0).next as StoredEntity;
    expect(first).toMatchObject({ types: ['T'], attrs: { a: [p(1)] } });
    const annotated = entity({ a: [p(1, { 'urn:note': p('calibrated') })] });
    const next = observe('urn:e:1', 'U', { a: p(5, { createdAt: T1, modifiedAt: T1 }) })(annotated, T1).next as StoredEntity;
    expect(next.types).toEqual(['T', 'U']);
    expect(next.attrs['a']).toEqual([{ ...p(5, { modifiedAt: T1 }), 'urn:note': p('calibrated') }]);
  });
});
