import type { Logger } from '@urbis/observability';
import type { ManagedWorker } from '@urbis/runtime';

/**
 * Runs one pass every interval while the service is up, never two at once; a failed pass is
 * logged and the next one tries again. `stop()` waits for the pass in progress.
 */
export class PeriodicWorker implements ManagedWorker {
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private running = false;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly runPass: () => Promise<void>,
  ) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.pass;
  }

  isRunning(): boolean {
    return this.running;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.pass = this.runPass()
        .catch((error: unknown) =>
          this.logger.error({ err: error, worker: this.name }, 'periodic pass failed; will retry'),
        )
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
