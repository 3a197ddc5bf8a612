import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../common/database';
import { type Command, type CommandStatus, Prisma, PrismaClient } from '../prisma-client/client';
import type { CommandHistoryQuery } from './command.dto';

/** Commands of a tenant's devices. Every query names the tenant. */
@Injectable()
export class CommandsRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  create(tx: Db, data: Prisma.CommandUncheckedCreateInput): Promise<Command> {
    return tx.command.create({ data });
  }

  find(tenant: string, deviceId: string, id: string): Promise<Command | null> {
    return this.prisma.command.findFirst({ where: { tenant, deviceId, id } });
  }

  findForUpdate(tx: Db, tenant: string, id: string): Promise<Command | null> {
    return tx.command.findFirst({ where: { tenant, id } });
  }

  async history(
    tenant: string,
    deviceId: string,
    query: CommandHistoryQuery,
  ): Promise<{ rows: Command[]; total: number }> {
    const where: Prisma.CommandWhereInput = {
      tenant,
      deviceId,
      ...(query.status && { status: query.status }),
    };
    const [rows, total] = await Promise.all([
      this.prisma.command.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: query.limit,
        skip: query.offset,
      }),
      this.prisma.command.count({ where }),
    ]);
    return { rows, total };
  }

  /** Moves `id` to `status` only from the statuses given (a guarded update: concurrent writers cannot go back). */
  async advance(
    tx: Db,
    tenant: string,
    id: string,
    from: CommandStatus[],
    data: Prisma.CommandUncheckedUpdateManyInput & { status: CommandStatus },
  ): Promise<boolean> {
    const { count } = await tx.command.updateMany({ where: { tenant, id, status: { in: from } }, data });
    return count > 0;
  }

  /** Queued commands whose request event the outbox relay has published are `sent`. */
  markSent(): Promise<number> {
    return this.prisma.$executeRawUnsafe(
      `UPDATE command c SET status = 'sent', sent_at = o.published_at, updated_at = now()
         FROM outbox_event o
        WHERE o.id = c.request_event_id AND o.published_at IS NOT NULL AND c.status = 'queued'`,
    );
  }

  /** Commands not delivered before their end are `expired`. */
  expire(now: Date): Promise<number> {
    return this.prisma.$executeRawUnsafe(
      `UPDATE command SET status = 'expired', completed_at = $1, updated_at = now(),
              reason = 'not delivered within its ttl of ' || ttl_seconds || ' s'
        WHERE status IN ('queued', 'sent') AND expires_at <= $1`,
      now,
    );
  }
}
