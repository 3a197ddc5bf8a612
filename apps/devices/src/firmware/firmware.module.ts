import { Module } from '@nestjs/common';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import { CommandsModule } from '../commands/commands.module';
import type { DevicesConfig } from '../config';
import { CampaignEngine } from './campaign-engine';
import { CampaignWorker } from './campaign-worker';
import { FirmwareController } from './firmware.controller';
import { FirmwareRepository } from './firmware.repository';
import { FirmwareService } from './firmware.service';

@Module({
  imports: [CommandsModule],
  controllers: [FirmwareController],
  providers: [
    FirmwareRepository,
    FirmwareService,
    CampaignEngine,
    {
      provide: CampaignWorker,
      inject: [CampaignEngine, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle],
      useFactory: (
        engine: CampaignEngine,
        config: DevicesConfig,
        logger: Logger,
        lifecycle: ServiceLifecycle,
      ) => {
        const worker = new CampaignWorker(engine, config.firmware.tickIntervalMs, logger);
        lifecycle.addWorker(worker);
        return worker;
      },
    },
  ],
})
export class FirmwareModule {}
