import { Module } from '@nestjs/common';
import { DatabaseModule, OutboxRelayModule } from '@urbis/runtime';
import { PrismaClient } from './prisma-client/client';

/** Policies, the audit ledger and security incidents. Features come as modules. */
@Module({
  imports: [DatabaseModule.forPrisma(PrismaClient), OutboxRelayModule.forRoot()],
})
export class AppModule {}
