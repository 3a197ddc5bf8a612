import type { Logger } from '@urbis/observability';
import { PeriodicWorker } from '../common/periodic-worker';
import type { CampaignEngine } from './campaign-engine';

/** Runs the campaign engine every interval while the service is up. */
export class CampaignWorker extends PeriodicWorker {
  constructor(engine: CampaignEngine, intervalMs: number, logger: Logger) {
    super('firmware-campaigns', intervalMs, logger, () => engine.tick());
  }
}
