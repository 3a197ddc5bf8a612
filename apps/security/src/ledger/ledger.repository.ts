import { Injectable } from '@nestjs/common';
import { PrismaClient, type Prisma } from '../prisma-client/client';
import type { Db } from '../common/database';
import { canonicalJson, type JsonValue, type LedgerRecord, type SignedCheckpoint } from './ledger-chain';

type RecordRow = Prisma.AuditRecordGetPayload<Record<string, never>>;
type CheckpointRow = Prisma.LedgerCheckpointGetPayload<Record<string, never>>;

export interface RecordFilter {
  tenant: string;
  action?: string;
  actorId?: string;
  outcome?: string;
  source?: string;
  resourceType?: string;
  resourceId?: string;
  from?: Date;
  to?: Date;
}

export function toLedgerRecord(row: RecordRow): LedgerRecord {
  return {
    tenant: row.tenant,
    seq: Number(row.seq),
    eventId: row.eventId,
    source: row.source,
    actor: { kind: row.actorKind, id: row.actorId },
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId },
    outcome: row.outcome,
    reason: row.reason,
    traceId: row.traceId,
    occurredAt: row.occurredAt.toISOString(),
    recordedAt: row.recordedAt.toISOString(),
    details: row.details === null ? null : (JSON.parse(row.details) as JsonValue),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function toCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return { tenant: row.tenant, seq: Number(row.seq), hash: row.hash, signedAt: row.signedAt.toISOString(), keyId: row.keyId, signature: row.signature };
}

/** The only place that touches the ledger tables. */
@Injectable()
export class LedgerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  /** Serialises appends to one tenant's chain across consumers and replicas, until the transaction ends. */
  async lockTenant(tx: Db, tenant: string): Promise<void> {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended('urbis-ledger:' || $1, 0))`, tenant);
  }

  async existingEventIds(tx: Db, eventIds: string[]): Promise<Set<string>> {
    const rows = await tx.auditRecord.findMany({ where: { eventId: { in: eventIds } }, select: { eventId: true } });
    return new Set(rows.map((row) => row.eventId));
  }

  async head(tx: Db, tenant: string): Promise<{ seq: number; hash: string } | null> {
    const row = await tx.auditRecord.findFirst({ where: { tenant }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  async insert(tx: Db, records: LedgerRecord[]): Promise<void> {
    await tx.auditRecord.createMany({
      data: records.map((record) => ({
        tenant: record.tenant,
        seq: BigInt(record.seq),
        eventId: record.eventId,
        source: record.source,
        actorKind: record.actor.kind,
        actorId: record.actor.id,
        action: record.action,
        resourceType: record.resource.type,
        resourceId: record.resource.id,
        outcome: record.outcome,
        reason: record.reason,
        traceId: record.traceId,
        occurredAt: new Date(record.occurredAt),
        recordedAt: new Date(record.recordedAt),
        details: record.details === null ? null : canonicalJson(record.details),
        prevHash: record.prevHash,
        hash: record.hash,
      })),
    });
  }

  async find(filter: RecordFilter, page: { limit: number; order: 'asc' | 'desc'; cursor?: number }): Promise<LedgerRecord[]> {
    const where: Prisma.AuditRecordWhereInput = {
      tenant: filter.tenant,
      ...(filter.action !== undefined && { action: filter.action }),
      ...(filter.actorId !== undefined && { actorId: filter.actorId }),
      ...(filter.outcome !== undefined && { outcome: filter.outcome }),
      ...(filter.source !== undefined && { source: filter.source }),
      ...(filter.resourceType !== undefined && { resourceType: filter.resourceType }),
      ...(filter.resourceId !== undefined && { resourceId: filter.resourceId }),
      ...((filter.from !== undefined || filter.to !== undefined) && {
        occurredAt: { ...(filter.from && { gte: filter.from }), ...(filter.to && { lt: filter.to }) },
      }),
      ...(page.cursor !== undefined && { seq: page.order === 'asc' ? { gt: BigInt(page.cursor) } : { lt: BigInt(page.cursor) } }),
    };
    const rows = await this.prisma.auditRecord.findMany({ where, orderBy: { seq: page.order }, take: page.limit });
    return rows.map(toLedgerRecord);
  }

  /** Records `from..to` of a tenant in sequence order, `pageSize` at a time. */
  async *range(tenant: string, fromSeq: number, toSeq: number, pageSize = 1000): AsyncGenerator<LedgerRecord> {
    let after = BigInt(fromSeq) - 1n;
    for (;;) {
      const rows = await this.prisma.auditRecord.findMany({
        where: { tenant, seq: { gt: after, lte: BigInt(toSeq) } },
        orderBy: { seq: 'asc' },
        take: pageSize,
      });
      for (const row of rows) yield toLedgerRecord(row);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]?.seq ?? after;
    }
  }

  async record(tenant: string, seq: number): Promise<LedgerRecord | null> {
    const row = await this.prisma.auditRecord.findUnique({ where: { tenant_seq: { tenant, seq: BigInt(seq) } } });
    return row ? toLedgerRecord(row) : null;
  }

  async lastSeq(tenant: string): Promise<number> {
    const row = await this.prisma.auditRecord.findFirst({ where: { tenant }, orderBy: { seq: 'desc' }, select: { seq: true } });
    return row ? Number(row.seq) : 0;
  }

  async checkpoints(tenant: string, fromSeq: number, toSeq: number): Promise<SignedCheckpoint[]> {
    const rows = await this.prisma.ledgerCheckpoint.findMany({
      where: { tenant, seq: { gte: BigInt(fromSeq), lte: BigInt(toSeq) } },
      orderBy: { seq: 'asc' },
    });
    return rows.map(toCheckpoint);
  }

  /** The newest checkpoint of a tenant, if any. */
  async lastCheckpoint(tenant: string): Promise<SignedCheckpoint | null> {
    const row = await this.prisma.ledgerCheckpoint.findFirst({ where: { tenant }, orderBy: { seq: 'desc' } });
    return row ? toCheckpoint(row) : null;
  }

  /** Tenants whose head is past their last checkpoint: `{ tenant, seq, hash }` of each head. */
  async uncheckpointedHeads(): Promise<Array<{ tenant: string; seq: number; hash: string; lastCheckpointSeq: number }>> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ tenant: string; seq: bigint; hash: string; cp: bigint | null }>>(
      `SELECT r.tenant, r.seq, r.hash, c.cp
         FROM (SELECT tenant, max(seq) AS seq FROM audit_record GROUP BY tenant) h
         JOIN audit_record r ON r.tenant = h.tenant AND r.seq = h.seq
         LEFT JOIN (SELECT tenant, max(seq) AS cp FROM ledger_checkpoint GROUP BY tenant) c ON c.tenant = h.tenant
        WHERE c.cp IS NULL OR c.cp < h.seq`,
    );
    return rows.map((row) => ({ tenant: row.tenant, seq: Number(row.seq), hash: row.hash, lastCheckpointSeq: Number(row.cp ?? 0n) }));
  }

  /** Inserts a checkpoint unless another replica signed the same point first. */
  async insertCheckpoint(checkpoint: SignedCheckpoint): Promise<void> {
    await this.prisma.ledgerCheckpoint.createMany({
      data: [
        {
          tenant: checkpoint.tenant,
          seq: BigInt(checkpoint.seq),
          hash: checkpoint.hash,
          signedAt: new Date(checkpoint.signedAt),
          keyId: checkpoint.keyId,
          signature: checkpoint.signature,
        },
      ],
      skipDuplicates: true,
    });
  }
}
