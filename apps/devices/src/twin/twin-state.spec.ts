import { delta, mergeState, sameJson } from './twin-state';

describe('twin state', () => {
  it('merges a patch: null removes a key, a value replaces it', () => {
    expect(mergeState({ a: 1, b: { x: 1 }, c: 'keep' }, { a: 2, b: null, d: [1] })).toEqual({
      a: 2,
      c: 'keep',
      d: [1],
    });
  });

  it('the delta lists desired keys the device has not reported equal', () => {
    expect(
      delta(
        { dim: 40, schedule: { on: '19:00', off: '07:00' }, mode: 'auto' },
        { dim: 40, schedule: { off: '07:00', on: '19:00' }, extra: 1 },
      ),
    ).toEqual({ mode: 'auto' });
    expect(delta({ dim: 40 }, { dim: 80 })).toEqual({ dim: 40 });
  });

  it('compares JSON regardless of key order', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
  });
});
