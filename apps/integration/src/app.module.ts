import { Module } from '@nestjs/common';
import { DatabaseModule } from '@urbis/runtime';
import { OutboxModule } from './common/outbox.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { DeliveryModule } from './delivery/delivery.module';
import { OutboundModule } from './outbound/outbound.module';
import { PrismaClient } from './prisma-client/client';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The edge to other systems: durable outbound delivery, platform webhooks, inbound connectors. */
@Module({
  imports: [
    DatabaseModule.forPrisma(PrismaClient),
    OutboxModule,
    OutboundModule,
    DeliveryModule,
    WebhooksModule,
    ConnectorsModule,
  ],
})
export class AppModule {}
