import type { Logger } from '@urbis/observability';
import type { ManagedWorker } from '@urbis/runtime';
import type { CommandsRepository } from './commands.repository';

/**
 * Keeps command statuses true to time: `queued` → `sent` once the outbox published the request,
 * and `queued`/`sent` → `expired` once the TTL ran out without a delivery. One pass per interval.
 */
export class CommandSweeper implements ManagedWorker {
  readonly name = 'command-sweeper';
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private running = false;

  constructor(
    private readonly commands: CommandsRepository,
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

  /** One pass; resolves to how many commands were marked sent and expired. */
  async sweepOnce(now = new Date()): Promise<{ sent: number; expired: number }> {
    const sent = await this.commands.markSent();
    const expired = await this.commands.expire(now);
    return { sent, expired };
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.pass = this.sweepOnce()
        .then(({ expired }) => {
          if (expired > 0) this.logger.info({ expired }, 'commands expired');
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'command sweep failed; will retry'))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }
}
