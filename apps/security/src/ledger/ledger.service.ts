import { Inject, Injectable } from '@nestjs/common';
import type { EventOf } from '@urbis/contracts';
import type { ConsumedRecord } from '@urbis/messaging';
import type { Logger } from '@urbis/observability';
import { SERVICE_LOGGER } from '@urbis/runtime';
import { SecurityErrorCode, SecurityProblem } from '../common/problems';
import { ChainVerifier, type ChainBreak, GENESIS_HASH, type JsonValue, type LedgerRecord, recordHash, signCheckpoint, type SignedCheckpoint } from './ledger-chain';
import { LedgerKeys } from './ledger-keys';
import { LedgerRepository, type RecordFilter } from './ledger.repository';

type AuditEvent = EventOf<'security.audit.recorded.v1'>;

export interface Verification {
  ok: boolean;
  tenant: string;
  fromSeq: number;
  toSeq: number;
  /** Records checked before the first break (all of them when ok). */
  checkedRecords: number;
  checkpoints: number;
  firstBroken?: ChainBreak;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function traceIdOf(event: AuditEvent, record: ConsumedRecord | undefined): string | null {
  if (event.payload.traceId) return event.payload.traceId;
  const header = record?.headers['traceparent'];
  const value = Array.isArray(header) ? header[0] : header;
  return TRACEPARENT.exec(value?.toString() ?? '')?.[1] ?? null;
}

/**
 * The tamper-evident audit ledger: appends every service's records to its tenant's hash chain,
 * signs checkpoints of each chain's head, and answers queries, verification and exports.
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly repository: LedgerRepository,
    private readonly keys: LedgerKeys,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Appends a batch in one transaction: each tenant's chain is locked, redelivered events (same
   * id) are skipped, the rest are chained after the tenant's head in the order they arrived.
   */
  async append(events: readonly AuditEvent[], records: readonly ConsumedRecord[] = []): Promise<number> {
    const byTenant = new Map<string, Array<{ event: AuditEvent; record: ConsumedRecord | undefined }>>();
    events.forEach((event, index) => {
      const list = byTenant.get(event.tenant) ?? [];
      list.push({ event, record: records[index] });
      byTenant.set(event.tenant, list);
    });
    let appended = 0;
    await this.repository.transaction(async (tx) => {
      // One lock order for every transaction: no deadlock between two batches of the same tenants.
      for (const tenant of [...byTenant.keys()].sort()) {
        await this.repository.lockTenant(tx, tenant);
        const items = byTenant.get(tenant) ?? [];
        const known = await this.repository.existingEventIds(tx, items.map(({ event }) => event.id));
        const head = await this.repository.head(tx, tenant);
        let seq = head?.seq ?? 0;
        let prevHash = head?.hash ?? GENESIS_HASH;
        const recordedAt = new Date().toISOString();
        const chained: LedgerRecord[] = [];
        for (const { event, record } of items) {
          if (known.has(event.id)) continue;
          known.add(event.id); // the same event twice in one batch
          const { payload } = event;
          seq += 1;
          const entry: Omit<LedgerRecord, 'hash'> = {
            tenant,
            seq,
            eventId: event.id,
            source: event.source,
            actor: { kind: payload.actor.kind, id: payload.actor.id },
            action: payload.action,
            resource: { type: payload.resource.type, id: payload.resource.id ?? null },
            outcome: payload.outcome,
            reason: payload.reason ?? null,
            traceId: traceIdOf(event, record),
            occurredAt: new Date(payload.at).toISOString(),
            recordedAt,
            details: (payload.details ?? null) as JsonValue | null,
            prevHash,
          };
          const hash = recordHash(entry);
          chained.push({ ...entry, hash });
          prevHash = hash;
        }
        if (chained.length > 0) await this.repository.insert(tx, chained);
        appended += chained.length;
      }
    });
    return appended;
  }

  find(filter: RecordFilter, page: { limit: number; order: 'asc' | 'desc'; cursor?: number }): Promise<LedgerRecord[]> {
    return this.repository.find(filter, page);
  }

  /** Resolves an optional range against the tenant's ledger: defaults 1..head. */
  async range(tenant: string, fromSeq?: number, toSeq?: number): Promise<{ fromSeq: number; toSeq: number }> {
    const head = await this.repository.lastSeq(tenant);
    const from = fromSeq ?? 1;
    const to = toSeq ?? Math.max(head, from - 1);
    if (to < from - 1) throw new SecurityProblem(SecurityErrorCode.RangeInvalid, `toSeq (${to}) is before fromSeq (${from}).`);
    return { fromSeq: from, toSeq: to };
  }

  /** Re-walks `from..to`: recomputes every hash, every link and every checkpoint in the range. */
  async verify(tenant: string, fromSeq?: number, toSeq?: number): Promise<Verification> {
    const range = await this.range(tenant, fromSeq, toSeq);
    let anchor = GENESIS_HASH;
    if (range.fromSeq > 1) {
      const before = await this.repository.record(tenant, range.fromSeq - 1);
      if (!before) {
        return this.verdict(tenant, range, 0, 0, { seq: range.fromSeq - 1, reason: 'missing-record', detail: `record ${range.fromSeq - 1} (the range's anchor) is missing` });
      }
      anchor = before.hash;
    }
    const verifier = new ChainVerifier(range.fromSeq, anchor);
    for await (const record of this.repository.range(tenant, range.fromSeq, range.toSeq)) {
      if (!verifier.feed(record)) break;
    }
    verifier.end(range.toSeq);
    const checkpoints = await this.repository.checkpoints(tenant, range.fromSeq, range.toSeq);
    verifier.checkpoints(checkpoints, this.keys.verificationKeys());
    return this.verdict(tenant, range, verifier.checked, checkpoints.length, verifier.result);
  }

  /** Records and the checkpoints covering them, in sequence order (a checkpoint after the record it signs). */
  async *export(tenant: string, fromSeq: number, toSeq: number): AsyncGenerator<{ type: 'record'; record: LedgerRecord } | { type: 'checkpoint'; checkpoint: SignedCheckpoint }> {
    const checkpoints = await this.repository.checkpoints(tenant, fromSeq, toSeq);
    let next = 0;
    for await (const record of this.repository.range(tenant, fromSeq, toSeq)) {
      yield { type: 'record', record };
      while (next < checkpoints.length && (checkpoints[next]?.seq ?? Infinity) <= record.seq) {
        yield { type: 'checkpoint', checkpoint: checkpoints[next] as SignedCheckpoint };
        next += 1;
      }
    }
    for (; next < checkpoints.length; next++) yield { type: 'checkpoint', checkpoint: checkpoints[next] as SignedCheckpoint };
  }

  /**
   * Signs a checkpoint of every tenant head that moved since its last checkpoint, after
   * verifying what was added since: a chain that is already broken is never signed.
   */
  async checkpointAll(): Promise<number> {
    let signed = 0;
    for (const head of await this.repository.uncheckpointedHeads()) {
      const fromSeq = head.lastCheckpointSeq + 1;
      const verification = await this.verify(head.tenant, fromSeq, head.seq);
      if (!verification.ok) {
        this.logger.error({ tenant: head.tenant, broken: verification.firstBroken }, 'audit ledger chain broken; checkpoint not signed');
        continue;
      }
      await this.repository.insertCheckpoint(
        signCheckpoint({ tenant: head.tenant, seq: head.seq, hash: head.hash, signedAt: new Date().toISOString(), keyId: this.keys.keyId }, this.keys.privateKey),
      );
      signed += 1;
    }
    return signed;
  }

  private verdict(tenant: string, range: { fromSeq: number; toSeq: number }, checked: number, checkpoints: number, broken: ChainBreak | undefined): Verification {
    return { ok: broken === undefined, tenant, ...range, checkedRecords: checked, checkpoints, ...(broken && { firstBroken: broken }) };
  }
}
