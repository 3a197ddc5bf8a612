import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { StatusModule } from '../status/status.module';
import { MqttServer } from './mqtt-server';

@Module({
  imports: [RegistryModule, StatusModule],
  providers: [MqttServer],
  exports: [MqttServer],
})
export class MqttModule {}
