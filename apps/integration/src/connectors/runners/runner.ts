import type { Logger } from '@urbis/observability';
import type { DestinationGuard } from '../../outbound/destination-guard';
import type { OutboundHttp } from '../../outbound/outbound-http';

export type ConnectorStatus = 'starting' | 'running' | 'failing' | 'paused' | 'stopped';

/**
 * What a running connector reports: its status and last error, and counters since the last
 * flush (the supervisor adds them to the connector's row, so they survive restarts and moves).
 */
export class ConnectorReport {
  status: ConnectorStatus = 'starting';
  lastError?: string;
  lastErrorAt?: Date;
  readings = 0;
  observations = 0;
  failures = 0;
  reconnects = 0;
  lastReadingAt?: Date;
  lastObservationAt?: Date;
  /** HTTP poll: validators to persist. */
  pollState?: Record<string, string>;
  changed = true;

  fail(error: unknown): void {
    this.failures++;
    this.lastError = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    this.lastErrorAt = new Date();
    if (this.status !== 'paused') this.status = 'failing';
    this.changed = true;
  }

  set(status: ConnectorStatus): void {
    if (this.status !== status) {
      this.status = status;
      this.changed = true;
    }
  }

  /** Takes the counters since the last flush. */
  drain(): { readings: number; observations: number; failures: number; reconnects: number } {
    const counts = {
      readings: this.readings,
      observations: this.observations,
      failures: this.failures,
      reconnects: this.reconnects,
    };
    this.readings = this.observations = this.failures = this.reconnects = 0;
    this.changed = false;
    return counts;
  }
}

/** What a runner needs from the service. */
export interface RunnerContext {
  tenant: string;
  connectorId: string;
  name: string;
  report: ConnectorReport;
  /** Maps one reading and publishes its observations; a mapping failure is reported, not thrown. */
  emit(input: unknown, receivedAt: Date): Promise<void>;
  guard: DestinationGuard;
  http: OutboundHttp;
  logger: Logger;
  reconnect: { initialMs: number; maxMs: number };
}

/** A connector that runs in the service: it connects or polls, and emits readings. */
export interface ConnectorRunner {
  start(): void;
  stop(): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
}

/** Exponential backoff with jitter between reconnection attempts. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly settings: { initialMs: number; maxMs: number }) {}

  next(): number {
    const delay = Math.min(this.settings.initialMs * 2 ** Math.min(this.attempt++, 20), this.settings.maxMs);
    return Math.round(delay * (0.8 + 0.2 * Math.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** A sleep that `wake()` cuts short (stop, resume). */
export class Sleeper {
  private pending?: { timer: NodeJS.Timeout; resolve: () => void };

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.pending = { timer, resolve };
    });
  }

  wake(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    clearTimeout(pending.timer);
    pending.resolve();
  }
}
