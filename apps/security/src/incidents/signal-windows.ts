import type { Signal } from './detection-rules';

export interface Threshold {
  count: number;
  windowSeconds: number;
}

/** Everything a crossed threshold knows about the burst: the incident's evidence. */
export interface Burst {
  occurrences: number;
  firstAt: number;
  lastAt: number;
  samples: Signal['sample'][];
  actors: string[];
}

interface Window {
  entries: { at: number; count: number }[];
  total: number;
  samples: Signal['sample'][];
  actors: Set<string>;
}

const MAX_SAMPLES = 10;
const MAX_ACTORS = 20;

/**
 * Sliding-window counters, one per (tenant, rule, subject). `add` returns the burst when the
 * window's occurrences reach the threshold, and starts the window afresh, so one burst raises
 * one alarm and a burst that goes on raises the next only after another threshold's worth.
 */
export class SignalWindows {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly maxKeys = 100_000) {}

  add(key: string, signal: Signal, threshold: Threshold): Burst | undefined {
    const window = this.windows.get(key) ?? { entries: [], total: 0, samples: [], actors: new Set<string>() };
    this.windows.set(key, window);
    window.entries.push({ at: signal.at, count: signal.count });
    window.total += signal.count;
    if (window.samples.length < MAX_SAMPLES) window.samples.push(signal.sample);
    if (window.actors.size < MAX_ACTORS) window.actors.add(signal.sample.actor);
    const newest = Math.max(...window.entries.map((e) => e.at));
    const horizon = newest - threshold.windowSeconds * 1000;
    while (window.entries.length > 0 && (window.entries[0]?.at ?? 0) < horizon) window.total -= window.entries.shift()?.count ?? 0;
    if (this.windows.size > this.maxKeys) this.prune(horizon);
    if (window.total < threshold.count) return undefined;
    this.windows.delete(key);
    return {
      occurrences: window.total,
      firstAt: Math.min(...window.entries.map((e) => e.at)),
      lastAt: newest,
      samples: window.samples,
      actors: [...window.actors],
    };
  }

  private prune(before: number): void {
    for (const [key, window] of this.windows) if (window.entries.every((e) => e.at < before)) this.windows.delete(key);
  }
}
