import { assignWaves, decideWave } from './waves';

describe('campaign waves', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `d-${i}`);

  it('splits 1% → 10% → 100% cumulatively, every device once', () => {
    const waves = assignWaves('c1', ids, [1, 10, 100]);
    expect(waves.map((w) => w.length)).toEqual([2, 18, 180]);
    expect(new Set(waves.flat()).size).toBe(200);
  });

  it('gives a small wave at least one device, and is stable per campaign', () => {
    expect(assignWaves('c1', ids.slice(0, 3), [1, 100]).map((w) => w.length)).toEqual([1, 2]);
    expect(assignWaves('c1', ids, [5, 100])).toEqual(assignWaves('c1', ids, [5, 100]));
    expect(assignWaves('c2', ids, [5, 100])[0]).not.toEqual(assignWaves('c1', ids, [5, 100])[0]);
  });

  it('pauses on failures, advances on successes, waits otherwise', () => {
    expect(decideWave({ total: 10, succeeded: 9, failed: 0, inProgress: 1 }, 0.9, 0.2)).toBe('advance');
    expect(decideWave({ total: 10, succeeded: 5, failed: 2, inProgress: 3 }, 0.9, 0.2)).toBe('pause');
    expect(decideWave({ total: 10, succeeded: 5, failed: 1, inProgress: 4 }, 0.9, 0.2)).toBe('wait');
  });
});
