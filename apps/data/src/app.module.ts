import { Module } from '@nestjs/common';
import { DatabaseModule, OutboxRelayModule } from '@urbis/runtime';
import { PrismaClient } from './prisma-client/client';

/** The NGSI-LD context broker. Features (entities, queries, temporal, subscriptions) come as modules. */
@Module({
  imports: [DatabaseModule.forPrisma(PrismaClient), OutboxRelayModule.forRoot()],
})
export class AppModule {}
