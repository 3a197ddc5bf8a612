// The audit ledger end to end: records from several services arrive on Kafka and are chained per
// tenant; verify passes and checkpoints are signed; an export verifies offline; then rows
// edited, deleted, swapped, or rewritten with fresh hashes directly in the database are caught.
import { auditEvent, type AuditInput } from '@urbis/audit';
import type { ServiceName } from '@urbis/contracts';
import { eventually } from '@urbis/testing';
import { createPublicKey } from 'node:crypto';
import { ChainVerifier, GENESIS_HASH, type LedgerRecord, recordHash, type SignedCheckpoint } from './ledger/ledger-chain';
import { type SecurityHarness, startSecurityHarness } from './test-support/harness.test-helpers';

const SOURCES: ServiceName[] = ['connectivity', 'devices', 'data', 'integration', 'security'];

function records(tenant: string, count: number): ReturnType<typeof auditEvent>[] {
  return Array.from({ length: count }, (_, i) => {
    const source = SOURCES[i % SOURCES.length] as ServiceName;
    const input: AuditInput = {
      tenant,
      actor: i % 2 ? { kind: 'device', id: `${tenant}/sensor-${i}` } : { kind: 'user', id: `user-${i}` },
      action: `${source}.test.action-${i % 3}`,
      resource: { type: 'device', id: `sensor-${i}` },
      outcome: i % 4 === 0 ? 'denied' : 'succeeded',
      reason: i % 4 === 0 ? 'bad-token' : undefined,
      details: { n: i, nested: { b: [1, 'two', null], a: true }, ratio: 0.1 + 0.2 },
    };
    return auditEvent(source, input);
  });
}

interface Verification {
  ok: boolean;
  checkedRecords: number;
  checkpoints: number;
  firstBroken?: { seq: number; reason: string; detail: string };
}

describe('audit ledger', () => {
  let h: SecurityHarness;

  const recordsOf = async (tenant: string, query = ''): Promise<LedgerRecord[]> => {
    const res = await h.call('platformAdmin', 'GET', `/security/v1/audit/records?order=asc&limit=1000${query}`, undefined, { 'x-urbis-tenant': tenant });
    expect(res.status).toBe(200);
    return res.body['records'] as LedgerRecord[];
  };
  const verify = async (tenant: string, query = ''): Promise<Verification> => {
    const res = await h.call('platformAdmin', 'GET', `/security/v1/audit/verify${query}`, undefined, { 'x-urbis-tenant': tenant });
    expect(res.status).toBe(200);
    return res.body as unknown as Verification;
  };
  /** Changes rows behind the service's back, as a DBA with superuser rights could (the append-only trigger is bypassed). */
  const tamper = (statements: string) => h.sql(`BEGIN; SET LOCAL session_replication_role = replica; ${statements}; COMMIT;`);
  const chainOf = async (tenant: string, count: number) => {
    await h.publish('security.audit.recorded.v1', records(tenant, count));
    await eventually(async () => (await recordsOf(tenant)).length === count, { timeoutMs: 30_000, what: `${count} records of ${tenant}` });
    await eventually(async () => (await verify(tenant)).checkpoints > 0, { timeoutMs: 30_000, what: `a checkpoint of ${tenant}` });
  };

  beforeAll(async () => {
    h = await startSecurityHarness({ LEDGER_CHECKPOINT_INTERVAL_MS: '300' });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('chains records from several services per tenant, each carrying the hash of the previous one', async () => {
    const events = records('alpha', 12);
    await h.publish('security.audit.recorded.v1', events);
    await h.publish('security.audit.recorded.v1', records('beta', 3));
    await eventually(async () => (await recordsOf('alpha')).length === 12, { timeoutMs: 30_000, what: '12 alpha records' });
    const chain = await recordsOf('alpha');
    expect(new Set(chain.map((r) => r.source))).toEqual(new Set(SOURCES));
    expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    chain.forEach((record, i) => {
      expect(record.prevHash).toBe(i === 0 ? GENESIS_HASH : chain[i - 1]?.hash);
      expect(record.hash).toBe(recordHash(record));
    });
    expect(chain.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    // a chain per tenant (beta's records may be on another partition, consumed a moment later)
    await eventually(async () => (await recordsOf('beta')).length === 3, { timeoutMs: 30_000, what: '3 beta records' });
    expect((await recordsOf('beta')).map((r) => r.seq)).toEqual([1, 2, 3]);

    // redelivered events (same id) are not appended twice
    await h.publish('security.audit.recorded.v1', events.slice(0, 4));
    await h.publish('security.audit.recorded.v1', records('alpha', 1));
    await eventually(async () => (await recordsOf('alpha')).length === 13, { timeoutMs: 30_000, what: 'the one new record' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await recordsOf('alpha')).toHaveLength(13);
  });

  it('verifies ok and signs checkpoints of each head with Ed25519', async () => {
    await eventually(async () => (await verify('alpha')).checkpoints > 0, { timeoutMs: 30_000, what: 'a checkpoint' });
    expect(await verify('alpha')).toMatchObject({ ok: true, tenant: 'alpha', fromSeq: 1, toSeq: 13, checkedRecords: 13 });
    expect(await verify('alpha', '?fromSeq=5&toSeq=9')).toMatchObject({ ok: true, fromSeq: 5, toSeq: 9, checkedRecords: 5 });
    const bad = await h.call('auditor', 'GET', '/security/v1/audit/verify?fromSeq=9&toSeq=3');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'range-invalid' });
    const worse = await h.call('auditor', 'GET', '/security/v1/audit/verify?fromSeq=abc&extra=1');
    expect(worse.status).toBe(400);
    expect((worse.body['errors'] as unknown[]).length).toBe(2);
  });

  it('filters and pages records for the caller’s tenant only', async () => {
    const page1 = await h.call('auditor', 'GET', '/security/v1/audit/records?limit=5');
    expect(page1.status).toBe(200);
    const first = page1.body['records'] as LedgerRecord[];
    expect(first.map((r) => r.seq)).toEqual([13, 12, 11, 10, 9]);
    const page2 = await h.call('auditor', 'GET', `/security/v1/audit/records?limit=5&cursor=${String(page1.body['nextCursor'])}`);
    expect((page2.body['records'] as LedgerRecord[]).map((r) => r.seq)).toEqual([8, 7, 6, 5, 4]);
    const denied = await h.call('auditor', 'GET', '/security/v1/audit/records?outcome=denied&source=connectivity');
    expect((denied.body['records'] as LedgerRecord[]).every((r) => r.outcome === 'denied' && r.source === 'connectivity')).toBe(true);
    expect((denied.body['records'] as LedgerRecord[]).length).toBeGreaterThan(0);
    // beta's auditor sees beta's chain, and may not read alpha's
    expect(((await h.call('betaAuditor', 'GET', '/security/v1/audit/records')).body['records'] as LedgerRecord[]).length).toBe(3);
    expect((await h.call('betaAuditor', 'GET', '/security/v1/audit/records', undefined, { 'x-urbis-tenant': 'alpha' })).status).toBe(403);
    expect((await h.call('integrator', 'GET', '/security/v1/audit/records')).status).toBe(403);
    expect((await h.call('operator', 'GET', '/security/v1/audit/verify')).status).toBe(403);
  });

  it('exports JSON lines with the checkpoint signatures, which an oversight body verifies offline', async () => {
    const res = await h.call('auditor', 'GET', '/security/v1/audit/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = res.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const [header, ...rest] = lines;
    expect(header).toMatchObject({ type: 'ledger', tenant: 'alpha', fromSeq: 1, toSeq: 13, keyId: expect.any(String) });
    const exported = rest.filter((l) => l['type'] === 'record') as unknown as LedgerRecord[];
    const checkpoints = rest.filter((l) => l['type'] === 'checkpoint') as unknown as SignedCheckpoint[];
    expect(exported).toHaveLength(13);
    expect(checkpoints.length).toBeGreaterThan(0);
    // only the export and the published key: no service code on the verifier's side but the chain rules
    const key = createPublicKey(String(header?.['publicKey']));
    const verifier = new ChainVerifier(1, GENESIS_HASH);
    for (const record of exported) verifier.feed(record);
    verifier.checkpoints(checkpoints, new Map([[String(header?.['keyId']), key]]));
    expect(verifier.result).toBeUndefined();
    // the same check catches a record edited in the exported file
    const forged = exported.map((r) => (r.seq === 4 ? { ...r, outcome: 'allowed' } : r));
    const strict = new ChainVerifier(1, GENESIS_HASH);
    for (const record of forged) if (!strict.feed(record)) break;
    expect(strict.result).toMatchObject({ seq: 4, reason: 'content-altered' });
    const key1 = await h.call('auditor', 'GET', '/security/v1/audit/signing-key');
    expect(key1.body).toMatchObject({ algorithm: 'Ed25519', keyId: header?.['keyId'], development: true });
  });

  it('refuses UPDATE and DELETE on the ledger tables (append-only)', async () => {
    await expect(h.sql("UPDATE audit_record SET outcome = 'allowed' WHERE tenant = 'alpha' AND seq = 1")).rejects.toThrow(/append-only/);
    await expect(h.sql("DELETE FROM audit_record WHERE tenant = 'alpha' AND seq = 1")).rejects.toThrow(/append-only/);
    await expect(h.sql('DELETE FROM ledger_checkpoint')).rejects.toThrow(/append-only/);
    expect((await verify('alpha')).ok).toBe(true);
  });

  it('detects a row edited in the database', async () => {
    await chainOf('edited', 8);
    expect((await verify('edited')).ok).toBe(true);
    await tamper(`UPDATE audit_record SET details = '{"n": 999}' WHERE tenant = 'edited' AND seq = 5`);
    expect(await verify('edited')).toMatchObject({ ok: false, checkedRecords: 4, firstBroken: { seq: 5, reason: 'content-altered' } });
    expect(await verify('edited', '?fromSeq=6')).toMatchObject({ ok: true }); // a range after the edit is intact
  });

  it('detects a row deleted from the database', async () => {
    await chainOf('deleted', 8);
    await tamper(`DELETE FROM audit_record WHERE tenant = 'deleted' AND seq = 3`);
    expect(await verify('deleted')).toMatchObject({ ok: false, checkedRecords: 2, firstBroken: { seq: 3, reason: 'missing-record' } });
  });

  it('detects two rows swapped in the database', async () => {
    await chainOf('swapped', 8);
    await tamper(`UPDATE audit_record SET seq = -seq WHERE tenant = 'swapped' AND seq IN (4, 5);
      UPDATE audit_record SET seq = CASE seq WHEN -4 THEN 5 ELSE 4 END WHERE tenant = 'swapped' AND seq IN (-4, -5)`);
    expect(await verify('swapped')).toMatchObject({ ok: false, checkedRecords: 3, firstBroken: { seq: 4, reason: 'chain-broken' } });
  });

  it('detects a rewritten history (row edited and every later hash recomputed) through the signed checkpoint', async () => {
    await chainOf('rewritten', 6);
    const chain = await recordsOf('rewritten');
    // the forger recomputes every hash from the edited row on, so the chain itself is consistent again
    let prevHash = chain[1]?.hash ?? '';
    const statements: string[] = [];
    for (const record of chain.slice(2)) {
      const forged = { ...record, outcome: record.seq === 3 ? 'allowed' : record.outcome, prevHash };
      forged.hash = recordHash(forged);
      statements.push(`UPDATE audit_record SET outcome = '${forged.outcome}', prev_hash = '${forged.prevHash}', hash = '${forged.hash}' WHERE tenant = 'rewritten' AND seq = ${record.seq}`);
      prevHash = forged.hash;
    }
    await tamper(statements.join('; '));
    const verdict = await verify('rewritten');
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBroken?.reason).toBe('checkpoint-mismatch');
    expect(verdict.firstBroken?.seq).toBeGreaterThanOrEqual(3);
  });
});
