interface Bucket {
  tokens: number;
  updatedAt: number;
  ratePerSecond: number;
  capacity: number;
}

/**
 * Token buckets by key (a device, a tenant, an address): `take` spends one token if there is one,
 * else says how long until there will be. Buckets that have refilled completely carry no
 * information and are dropped by `prune`, so memory follows the active keys, not all keys seen.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** 0 when a token was taken; otherwise the seconds until one is available. */
  take(key: string, ratePerSecond: number, capacity: number): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, updatedAt: now, ratePerSecond, capacity };
      this.buckets.set(key, bucket);
    } else {
      bucket.ratePerSecond = ratePerSecond;
      bucket.capacity = capacity;
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / ratePerSecond;
  }

  prune(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * bucket.ratePerSecond >= bucket.capacity) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
