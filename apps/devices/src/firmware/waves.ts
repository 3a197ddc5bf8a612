import { createHash } from 'node:crypto';

/**
 * Splits targets into waves of cumulative percentages (e.g. [1, 10, 100]): wave i holds the
 * devices between the previous cut and ceil(n × pct_i / 100), so every wave with a share gets at
 * least one device once n > 0. The order is a hash of campaign and device: stable, and not the
 * alphabetical order of device ids (which often follows streets or installation batches).
 */
export function assignWaves(
  campaignId: string,
  deviceIds: readonly string[],
  waves: readonly number[],
): string[][] {
  const order = deviceIds
    .map((id) => ({ id, rank: createHash('sha256').update(`${campaignId}/${id}`).digest('hex') }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .map(({ id }) => id);
  const out: string[][] = waves.map(() => []);
  let start = 0;
  waves.forEach((percent, wave) => {
    const end = Math.min(order.length, Math.ceil((order.length * percent) / 100));
    out[wave].push(...order.slice(start, end));
    start = Math.max(start, end);
  });
  return out;
}

export interface WaveStats {
  total: number;
  succeeded: number;
  failed: number;
  inProgress: number;
}

export type WaveDecision = 'advance' | 'pause' | 'wait';

/** A wave pauses the campaign once its failures reach the failure threshold, and advances once its successes reach the success threshold. */
export function decideWave(
  stats: WaveStats,
  successThreshold: number,
  failureThreshold: number,
): WaveDecision {
  if (stats.total === 0) return 'advance';
  if (stats.failed / stats.total >= failureThreshold) return 'pause';
  if (stats.succeeded / stats.total >= successThreshold) return 'advance';
  return 'wait';
}
