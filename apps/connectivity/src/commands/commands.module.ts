import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox.module';
import { MqttModule } from '../mqtt/mqtt.module';
import { CommandRepository } from './command.repository';
import { CommandService } from './command.service';

@Module({
  imports: [MqttModule, OutboxModule],
  providers: [CommandRepository, CommandService],
  exports: [CommandRepository],
})
export class CommandsModule {}
