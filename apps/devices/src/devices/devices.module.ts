import { Module } from '@nestjs/common';
import { CredentialsController } from './credentials.controller';
import { CredentialsService } from './credentials.service';
import { DevicesController } from './devices.controller';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';

@Module({
  controllers: [DevicesController, CredentialsController],
  providers: [DevicesRepository, DevicesService, CredentialsService],
  exports: [DevicesRepository, DevicesService, CredentialsService],
})
export class DevicesModule {}
