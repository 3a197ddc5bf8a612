import { Module } from '@nestjs/common';
import { DatabaseModule, OutboxRelayModule } from '@urbis/runtime';
import { PrismaClient } from './prisma-client/client';

/** The edge to other systems: outbound delivery and inbound connectors. Features come as modules. */
@Module({
  imports: [DatabaseModule.forPrisma(PrismaClient), OutboxRelayModule.forRoot()],
})
export class AppModule {}
