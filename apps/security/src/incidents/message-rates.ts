export interface MessageRateOptions {
  /** Messages in one bucket above `factor` × the baseline (and at least `minMessages`) are a flood. */
  factor: number;
  minMessages: number;
  bucketSeconds: number;
  /** Closed buckets a device needs before it has a baseline. Default 3. */
  warmUpBuckets?: number;
  /** Weight of the newest bucket in the baseline (exponential moving average). Default 0.3. */
  smoothing?: number;
}

interface DeviceRate {
  bucket: number;
  count: number;
  baseline: number;
  buckets: number;
  flagged: boolean;
}

export interface RateSpike {
  device: string;
  count: number;
  baseline: number;
  bucketStart: number;
}

/**
 * Each device's messages per bucket against its own baseline (a moving average of its earlier
 * buckets; empty buckets count as zero). A device far above its baseline is reported once per
 * bucket. A new device has no baseline until it has been seen for a few buckets.
 */
export class MessageRates {
  private readonly devices = new Map<string, DeviceRate>();
  private readonly warmUp: number;
  private readonly smoothing: number;

  constructor(private readonly options: MessageRateOptions) {
    this.warmUp = options.warmUpBuckets ?? 3;
    this.smoothing = options.smoothing ?? 0.3;
  }

  add(device: string, at: number, count = 1): RateSpike | undefined {
    const bucket = Math.floor(at / (this.options.bucketSeconds * 1000));
    let rate = this.devices.get(device);
    if (!rate) {
      rate = { bucket, count: 0, baseline: 0, buckets: 0, flagged: false };
      this.devices.set(device, rate);
    }
    if (bucket < rate.bucket) return undefined; // a late message of a closed bucket
    while (rate.bucket < bucket) {
      // close the bucket (and any empty ones after it) into the baseline
      rate.baseline = rate.buckets === 0 ? rate.count : rate.baseline + this.smoothing * (rate.count - rate.baseline);
      rate.buckets += 1;
      rate.count = 0;
      rate.flagged = false;
      rate.bucket += 1;
      if (bucket - rate.bucket > 100) {
        rate.baseline = 0;
        rate.bucket = bucket;
      }
    }
    rate.count += count;
    if (rate.flagged || rate.buckets < this.warmUp) return undefined;
    if (rate.count < this.options.minMessages || rate.count <= this.options.factor * Math.max(rate.baseline, 1)) return undefined;
    rate.flagged = true;
    return { device, count: rate.count, baseline: Math.round(rate.baseline * 100) / 100, bucketStart: bucket * this.options.bucketSeconds * 1000 };
  }
}
