import { Module } from '@nestjs/common';
import { DatabaseModule } from '@urbis/runtime';
import { CommandsModule } from './commands/commands.module';
import { EnforcementModule } from './enforcement/enforcement.module';
import { IngestModule } from './ingest/ingest.module';
import { LimitsModule } from './limits/limits.module';
import { LorawanModule } from './lorawan/lorawan.module';
import { MqttModule } from './mqtt/mqtt.module';
import { PrismaClient } from './prisma-client/client';
import { RegistryModule } from './registry/registry.module';
import { UplinksModule } from './uplinks/uplinks.module';

/** Transports and sessions: the MQTT server, HTTP ingest and LoRaWAN webhooks, over the local registry cache, into Kafka. */
@Module({
  imports: [DatabaseModule.forPrisma(PrismaClient), UplinksModule, EnforcementModule, LimitsModule, RegistryModule, MqttModule, IngestModule, LorawanModule, CommandsModule],
})
export class AppModule {}
