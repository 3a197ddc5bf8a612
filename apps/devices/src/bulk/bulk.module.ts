import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { BulkBodyParsers } from './body-parsers';
import { BulkController } from './bulk.controller';
import { BulkProvisioningService } from './bulk-provisioning.service';

@Module({
  imports: [DevicesModule],
  controllers: [BulkController],
  providers: [BulkProvisioningService, BulkBodyParsers],
})
export class BulkModule {}
