import { Module } from '@nestjs/common';
import { DatabaseModule } from '@urbis/runtime';
import { OutboxModule } from './common/outbox.module';
import { IncidentsModule } from './incidents/incidents.module';
import { LedgerModule } from './ledger/ledger.module';
import { PoliciesModule } from './policies/policies.module';
import { PrismaClient } from './prisma-client/client';

/** Who may do what: the tamper-evident audit ledger, data-access policies, incidents and their response. */
@Module({
  imports: [DatabaseModule.forPrisma(PrismaClient), OutboxModule, LedgerModule, PoliciesModule, IncidentsModule],
})
export class AppModule {}
