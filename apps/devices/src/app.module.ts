import { Module } from '@nestjs/common';
import { DatabaseModule } from '@urbis/runtime';
import { BulkModule } from './bulk/bulk.module';
import { CommandsModule } from './commands/commands.module';
import { OutboxModule } from './common/outbox.module';
import { DecodingModule } from './decoding/decoding.module';
import { DevicesModule } from './devices/devices.module';
import { EnforcementModule } from './enforcement/enforcement.module';
import { FirmwareModule } from './firmware/firmware.module';
import { PrismaClient } from './prisma-client/client';
import { ProfilesModule } from './profiles/profiles.module';
import { TwinModule } from './twin/twin.module';

/** The device registry: profiles, devices and credentials, and the decoding of their uplinks. */
@Module({
  imports: [
    DatabaseModule.forPrisma(PrismaClient),
    OutboxModule,
    ProfilesModule,
    DevicesModule,
    BulkModule,
    CommandsModule,
    TwinModule,
    FirmwareModule,
    DecodingModule,
    EnforcementModule,
  ],
})
export class AppModule {}
