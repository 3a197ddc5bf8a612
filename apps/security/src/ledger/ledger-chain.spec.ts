import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson, ChainVerifier, GENESIS_HASH, type LedgerRecord, recordHash, signCheckpoint } from './ledger-chain';

function chain(length: number): LedgerRecord[] {
  const out: LedgerRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const entry = {
      tenant: 'alpha', seq, eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, source: 'devices',
      actor: { kind: 'user', id: 'u' }, action: 'devices.device.create', resource: { type: 'device', id: `d${seq}` },
      outcome: 'succeeded', reason: null, traceId: null, occurredAt: '2026-12-01T10:00:00.000Z', recordedAt: '2026-12-01T10:00:01.000Z',
      details: { z: 1, a: [seq, { y: null, b: 'x' }] }, prevHash,
    };
    const hash = recordHash(entry);
    out.push({ ...entry, hash });
    prevHash = hash;
  }
  return out;
}

const walk = (records: LedgerRecord[], to = records.length) => {
  const verifier = new ChainVerifier(1, GENESIS_HASH);
  for (const record of records) if (!verifier.feed(record)) break;
  verifier.end(to);
  return verifier;
};

describe('ledger chain', () => {
  it('serialises JSON canonically whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
  });

  it('accepts an intact chain and names the first break of each kind', () => {
    const records = chain(6);
    expect(walk(records).result).toBeUndefined();
    expect(walk(records.map((r) => (r.seq === 3 ? { ...r, action: 'devices.device.delete' } : r))).result).toMatchObject({ seq: 3, reason: 'content-altered' });
    expect(walk(records.filter((r) => r.seq !== 4)).result).toMatchObject({ seq: 4, reason: 'missing-record' });
    const swapped = [...records];
    [swapped[1], swapped[2]] = [{ ...(records[2] as LedgerRecord), seq: 2 }, { ...(records[1] as LedgerRecord), seq: 3 }];
    expect(walk(swapped).result).toMatchObject({ seq: 2, reason: 'chain-broken' });
    expect(walk(records.slice(0, 4), 6).result).toMatchObject({ seq: 5, reason: 'missing-record' });
  });

  it('checks checkpoints: signature, key, and the record they signed', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const records = chain(4);
    const head = records[3] as LedgerRecord;
    const checkpoint = signCheckpoint({ tenant: 'alpha', seq: 4, hash: head.hash, signedAt: '2026-12-01T10:01:00.000Z', keyId: 'k1' }, privateKey);
    const keys = new Map([['k1', publicKey]]);
    const ok = walk(records);
    ok.checkpoints([checkpoint], keys);
    expect(ok.result).toBeUndefined();
    const forgedSignature = walk(records);
    forgedSignature.checkpoints([{ ...checkpoint, hash: 'f'.repeat(64) }], keys);
    expect(forgedSignature.result).toMatchObject({ seq: 4, reason: 'checkpoint-signature-invalid' });
    const unknownKey = walk(records);
    unknownKey.checkpoints([{ ...checkpoint, keyId: 'k2' }], keys);
    expect(unknownKey.result).toMatchObject({ reason: 'checkpoint-key-unknown' });
  });
});
