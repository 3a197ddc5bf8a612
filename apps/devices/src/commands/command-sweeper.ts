import type { Logger } from '@urbis/observability';
import { PeriodicWorker } from '../common/periodic-worker';
import type { CommandsRepository } from './commands.repository';

/**
 * Keeps command statuses true to time: `queued` → `sent` once the outbox published the request,
 * and `queued`/`sent` → `expired` once the TTL ran out without a delivery. One pass per interval.
 */
export class CommandSweeper extends PeriodicWorker {
  constructor(
    private readonly commands: CommandsRepository,
    intervalMs: number,
    logger: Logger,
  ) {
    super('command-sweeper', intervalMs, logger, async () => {
      const { expired } = await this.sweepOnce();
      if (expired > 0) logger.info({ expired }, 'commands expired');
    });
  }

  /** One pass; resolves to how many commands were marked sent and expired. */
  async sweepOnce(now = new Date()): Promise<{ sent: number; expired: number }> {
    const sent = await this.commands.markSent();
    const expired = await this.commands.expire(now);
    return { sent, expired };
  }
}
