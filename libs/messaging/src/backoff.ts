export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  baseDelayMs: number;
  /** Upper bound of any single delay, ms. */
  maxDelayMs: number;
  /** 0..1: fraction of the delay that is randomised ("equal jitter"); 0 makes delays deterministic. */
  jitter?: number;
}

/**
 * Delay before retry number `retry` (1 = first retry): base * 2^(retry-1), capped, with optional jitter
 * so that many consumers failing together do not retry in lockstep.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(retry) || retry < 1)
    throw new RangeError(`retry must be a positive integer, got ${retry}`);
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  return Math.round(exponential * (1 - jitter) + exponential * jitter * random());
}

/** Resolves after `ms`, or early (with `false`) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
