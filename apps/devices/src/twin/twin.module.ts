import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { DevicesModule } from '../devices/devices.module';
import { TwinController } from './twin.controller';
import { TwinRepository } from './twin.repository';
import { TwinService } from './twin.service';

@Module({
  imports: [DevicesModule, CommandsModule],
  controllers: [TwinController],
  providers: [TwinRepository, TwinService],
  exports: [TwinService],
})
export class TwinModule {}
