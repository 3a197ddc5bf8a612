// The ledger's hash chain and checkpoint statements: pure functions, shared by the append path,
// `verify`, and anyone who checks an export offline (docs/security.md shows how).
import { createHash, type KeyObject, sign, verify } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
export const CHAIN_VERSION = 1;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One ledger record as it is hashed, stored and exported. */
export interface LedgerRecord {
  tenant: string;
  seq: number;
  eventId: string;
  source: string;
  actor: { kind: string; id: string };
  action: string;
  resource: { type: string; id: string | null };
  outcome: string;
  reason: string | null;
  traceId: string | null;
  /** RFC 3339 UTC with milliseconds (`Date#toISOString`), as stored. */
  occurredAt: string;
  recordedAt: string;
  details: JsonValue | null;
  prevHash: string;
  hash: string;
}

export interface LedgerCheckpointStatement {
  tenant: string;
  seq: number;
  hash: string;
  signedAt: string;
  keyId: string;
}

export interface SignedCheckpoint extends LedgerCheckpointStatement {
  /** Ed25519 signature of `canonicalJson({ v, ...statement })`, base64url. */
  signature: string;
}

/** JSON with object keys sorted at every level: one byte string per value, whatever the key order. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}

/** sha256 of the record's content, its place (tenant, seq) and the previous record's hash. */
export function recordHash(record: Omit<LedgerRecord, 'hash'>): string {
  const { tenant, seq, eventId, source, actor, action, resource, outcome, reason, traceId, occurredAt, recordedAt, details, prevHash } = record;
  const content: JsonValue = {
    v: CHAIN_VERSION,
    tenant,
    seq,
    eventId,
    source,
    actor: { kind: actor.kind, id: actor.id },
    action,
    resource: { type: resource.type, id: resource.id },
    outcome,
    reason,
    traceId,
    occurredAt,
    recordedAt,
    details,
    prevHash,
  };
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

function statementBytes(statement: LedgerCheckpointStatement): Buffer {
  const { tenant, seq, hash, signedAt, keyId } = statement;
  return Buffer.from(canonicalJson({ v: CHAIN_VERSION, tenant, seq, hash, signedAt, keyId }), 'utf8');
}

export function signCheckpoint(statement: LedgerCheckpointStatement, privateKey: KeyObject): SignedCheckpoint {
  return { ...statement, signature: sign(null, statementBytes(statement), privateKey).toString('base64url') };
}

export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, statementBytes(checkpoint), publicKey, Buffer.from(checkpoint.signature, 'base64url'));
  } catch {
    return false; // a signature of the wrong length is simply not valid
  }
}

export type ChainBreakReason =
  | 'missing-record'
  | 'chain-broken'
  | 'content-altered'
  | 'checkpoint-mismatch'
  | 'checkpoint-signature-invalid'
  | 'checkpoint-key-unknown';

export interface ChainBreak {
  /** The first record (sequence number) at which the ledger stops being what was recorded. */
  seq: number;
  reason: ChainBreakReason;
  detail: string;
}

/**
 * Walks records in sequence order and reports the first break: a sequence gap (a deleted or
 * renumbered row), a previous-hash link that does not match (a reordered or deleted row), or a
 * hash that does not match the content (an edited row). Checkpoints are then checked against
 * the records they cover, so a rewritten tail (edited and re-hashed) is caught too.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private readonly hashes = new Map<number, string>();
  private broken: ChainBreak | undefined;
  checked = 0;

  constructor(fromSeq: number, anchorHash: string) {
    this.expectedSeq = fromSeq;
    this.prevHash = anchorHash;
  }

  get result(): ChainBreak | undefined {
    return this.broken;
  }

  /** Feeds the next record (ascending seq); false once the chain is broken. */
  feed(record: LedgerRecord): boolean {
    if (this.broken) return false;
    if (record.seq !== this.expectedSeq) {
      return this.break(this.expectedSeq, 'missing-record', `record ${this.expectedSeq} is missing (the next one is ${record.seq})`);
    }
    if (record.prevHash !== this.prevHash) {
      return this.break(record.seq, 'chain-broken', `record ${record.seq} does not follow record ${record.seq - 1} (previous-hash link mismatch)`);
    }
    if (recordHash(record) !== record.hash) {
      return this.break(record.seq, 'content-altered', `record ${record.seq} was changed after it was recorded (hash mismatch)`);
    }
    this.hashes.set(record.seq, record.hash);
    this.prevHash = record.hash;
    this.expectedSeq = record.seq + 1;
    this.checked += 1;
    return true;
  }

  /** Ends the walk at `toSeq`: records the walk should have reached but did not are missing. */
  end(toSeq: number): void {
    if (!this.broken && this.expectedSeq <= toSeq) {
      this.break(this.expectedSeq, 'missing-record', `record ${this.expectedSeq} is missing`);
    }
  }

  /** Checks checkpoints within the walked range against the records and the signing key. */
  checkpoints(checkpoints: readonly SignedCheckpoint[], keys: ReadonlyMap<string, KeyObject>): void {
    for (const checkpoint of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
      if (this.broken && this.broken.seq <= checkpoint.seq) return;
      const key = keys.get(checkpoint.keyId);
      if (!key) {
        this.break(checkpoint.seq, 'checkpoint-key-unknown', `checkpoint at ${checkpoint.seq} is signed by unknown key ${checkpoint.keyId}`);
        return;
      }
      if (!checkpointSignatureValid(checkpoint, key)) {
        this.break(checkpoint.seq, 'checkpoint-signature-invalid', `checkpoint at ${checkpoint.seq} has an invalid signature`);
        return;
      }
      const hash = this.hashes.get(checkpoint.seq);
      if (hash === undefined) {
        this.break(checkpoint.seq, 'missing-record', `record ${checkpoint.seq}, signed by a checkpoint, is missing`);
        return;
      }
      if (hash !== checkpoint.hash) {
        this.break(checkpoint.seq, 'checkpoint-mismatch', `record ${checkpoint.seq} differs from what checkpoint ${checkpoint.signedAt} signed`);
        return;
      }
    }
  }

  private break(seq: number, reason: ChainBreakReason, detail: string): false {
    // keep the earliest break: a checkpoint finding may precede a later chain finding
    if (!this.broken || seq < this.broken.seq) this.broken = { seq, reason, detail };
    return false;
  }
}
