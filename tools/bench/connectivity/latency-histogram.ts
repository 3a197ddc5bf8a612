/**
 * Latencies in microseconds in buckets 1% wide (log scale from 1 µs to ~1000 s): percentiles
 * within 1%, mergeable across processes by adding the counts.
 */
export class LatencyHistogram {
  private static readonly GROWTH = Math.log(1.01);
  private static readonly BUCKETS = 2800;
  private readonly buckets: number[];

  constructor(counts?: readonly number[]) {
    this.buckets = counts ? [...counts] : new Array<number>(LatencyHistogram.BUCKETS).fill(0);
  }

  record(micros: number): void {
    const index = Math.min(
      LatencyHistogram.BUCKETS - 1,
      Math.max(0, Math.floor(Math.log(Math.max(1, micros)) / LatencyHistogram.GROWTH)),
    );
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
  }

  add(other: readonly number[]): void {
    other.forEach((count, index) => (this.buckets[index] = (this.buckets[index] ?? 0) + count));
  }

  counts(): number[] {
    return [...this.buckets];
  }

  get total(): number {
    return this.buckets.reduce((sum, count) => sum + count, 0);
  }

  /** The latency (µs, bucket's upper edge) below which `fraction` of the samples fall. */
  percentile(fraction: number): number {
    const wanted = this.total * fraction;
    let seen = 0;
    for (let index = 0; index < this.buckets.length; index++) {
      seen += this.buckets[index] ?? 0;
      if (seen >= wanted && seen > 0) return Math.exp((index + 1) * LatencyHistogram.GROWTH);
    }
    return Number.NaN;
  }
}
