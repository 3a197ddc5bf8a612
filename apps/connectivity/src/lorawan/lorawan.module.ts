import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { StatusModule } from '../status/status.module';
import { LorawanStatusController } from './lorawan-status.controller';
import { LorawanController } from './lorawan.controller';
import { LorawanRepository } from './lorawan.repository';
import { LorawanService } from './lorawan.service';

@Module({
  imports: [RegistryModule, StatusModule],
  controllers: [LorawanController, LorawanStatusController],
  providers: [LorawanService, LorawanRepository],
})
export class LorawanModule {}
