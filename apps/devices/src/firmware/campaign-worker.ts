import type { Logger } from '@urbis/observability';
import type { ManagedWorker } from '@urbis/runtime';
import type { CampaignEngine } from './campaign-engine';

/** Runs the campaign engine every interval while the service is up. */
export class CampaignWorker implements ManagedWorker {
  readonly name = 'firmware-campaigns';
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private running = false;

  constructor(
    private readonly engine: CampaignEngine,
    private readonly intervalMs: number,
    private readonly logger: Logger,
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
      this.pass = this.engine
        .tick()
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'firmware campaign pass failed; will retry'),
        )
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
