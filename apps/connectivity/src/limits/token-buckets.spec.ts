import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  it('allows a burst up to the capacity, then one per 1/rate seconds, per key', () => {
    let clock = 0;
    const buckets = new TokenBuckets(() => clock);
    expect([1, 2, 3].map(() => buckets.take('a', 1, 3))).toEqual([0, 0, 0]);
    expect(buckets.take('a', 1, 3)).toBeCloseTo(1);
    expect(buckets.take('b', 1, 3)).toBe(0);
    clock += 500;
    expect(buckets.take('a', 1, 3)).toBeCloseTo(0.5);
    clock += 500;
    expect(buckets.take('a', 1, 3)).toBe(0);
  });

  it('forgets keys whose bucket has refilled', () => {
    let clock = 0;
    const buckets = new TokenBuckets(() => clock);
    buckets.take('a', 10, 10);
    buckets.take('b', 1, 1);
    clock += 200;
    buckets.prune();
    expect(buckets.size).toBe(1);
    clock += 1000;
    buckets.prune();
    expect(buckets.size).toBe(0);
  });
});
