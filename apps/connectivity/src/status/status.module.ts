import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox.module';
import { RegistryModule } from '../registry/registry.module';
import { DeviceStatusRepository } from './device-status.repository';
import { DeviceStatusService } from './device-status.service';
import { StatusController } from './status.controller';

/** Device status, sessions and link quality; status changes leave through the outbox. */
@Module({
  imports: [RegistryModule, OutboxModule],
  controllers: [StatusController],
  providers: [DeviceStatusRepository, DeviceStatusService],
  exports: [DeviceStatusService, DeviceStatusRepository],
})
export class StatusModule {}
