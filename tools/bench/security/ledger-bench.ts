// The audit ledger's cost: the chain rules alone in memory (the reference: what hashing and
// verifying cost without I/O), then one security service on the dev broker and a fresh
// database — records published by "other services" until all are chained, verify and export
// over them — and the policy evaluator.
//
//   node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/bench/security/ledger-bench.ts [records]
import { auditEvent } from '@urbis/audit';
import { evaluate, type Policy } from '@urbis/access-policy';
import { ChainVerifier, GENESIS_HASH, type LedgerRecord, recordHash } from '../../../apps/security/src/ledger/ledger-chain';
import { startSecurityHarness } from '../../../apps/security/src/test-support/harness.test-helpers';

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');

function chainInMemory(count: number): { hashMs: number; verifyMs: number } {
  const records: LedgerRecord[] = [];
  let prevHash = GENESIS_HASH;
  const started = performance.now();
  for (let seq = 1; seq <= count; seq++) {
    const entry = {
      tenant: 'bench', seq, eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, source: 'connectivity',
      actor: { kind: 'device', id: `bench/sensor-${seq % 100}` }, action: 'connectivity.mqtt.bad-token', resource: { type: 'device', id: `sensor-${seq % 100}` },
      outcome: 'denied', reason: 'bad-token', traceId: null, occurredAt: new Date().toISOString(), recordedAt: new Date().toISOString(),
      details: { address: '203.0.113.7', transport: 'mqtt', count: 1 }, prevHash,
    };
    const hash = recordHash(entry);
    records.push({ ...entry, hash });
    prevHash = hash;
  }
  const hashed = performance.now();
  const verifier = new ChainVerifier(1, GENESIS_HASH);
  for (const record of records) verifier.feed(record);
  if (verifier.result) throw new Error('chain broken');
  return { hashMs: hashed - started, verifyMs: performance.now() - hashed };
}

function evaluator(policies: number, decisions: number): number {
  const set: Policy[] = Array.from({ length: policies }, (_, i) => ({
    policyId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, tenant: 'alpha', version: 1, updatedAt: '2026-12-01T00:00:00Z',
    subject: { kind: 'client', id: `app-${i % 50}` }, actions: ['read'], purpose: 'bench',
    resources: [{ kind: 'attribute', entityType: `Type${i % 20}`, attributes: ['status', 'location'] }],
  }));
  const started = performance.now();
  for (let i = 0; i < decisions; i++) {
    evaluate(set, { tenant: 'alpha', subject: { clientId: `app-${i % 50}`, roles: ['integrator'] }, action: 'read', entityType: `Type${i % 20}`, attributes: ['status', 'owner'] });
  }
  return performance.now() - started;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20_000);
  const memory = chainInMemory(count);
  console.log(`reference, in memory: hash ${rate(count, memory.hashMs)} records/s, verify ${rate(count, memory.verifyMs)} records/s`);
  const decisions = 100_000;
  console.log(`evaluator: ${rate(decisions, evaluator(1000, decisions))} decisions/s over 1,000 policies`);

  console.error('starting the service');
  const h = await startSecurityHarness({ LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'silent', LEDGER_CHECKPOINT_INTERVAL_MS: '5000' });
  try {
    const sources = ['connectivity', 'devices', 'data', 'integration'] as const;
    const events = Array.from({ length: count }, (_, i) =>
      auditEvent(sources[i % sources.length] ?? 'devices', { tenant: `city-${i % 4}`, actor: { kind: 'device', id: `sensor-${i}` }, action: 'bench.record', resource: { type: 'device', id: `sensor-${i}` }, outcome: 'denied', details: { n: i } }),
    );
    console.error('publishing');
    const started = performance.now();
    for (let i = 0; i < events.length; i += 500) await h.publish('security.audit.recorded.v1', events.slice(i, i + 500));
    for (;;) {
      const [row] = await h.sql<{ n: string }>('SELECT count(*) AS n FROM audit_record');
      if (Number(row?.n) >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const appendMs = performance.now() - started;
    console.log(`end to end, one instance, 4 tenants: ${count} records chained in ${(appendMs / 1000).toFixed(1)} s = ${rate(count, appendMs)} records/s`);
    const perTenant = count / 4;
    const verifyStarted = performance.now();
    const verdict = await h.call('platformAdmin', 'GET', '/security/v1/audit/verify', undefined, { 'x-urbis-tenant': 'city-0' });
    const verifyMs = performance.now() - verifyStarted;
    console.log(`verify over one tenant's ${perTenant} records: ${verifyMs.toFixed(0)} ms = ${rate(perTenant, verifyMs)} records/s (ok: ${String(verdict.body['ok'])})`);
    const exportStarted = performance.now();
    const exported = await h.call('platformAdmin', 'GET', '/security/v1/audit/export', undefined, { 'x-urbis-tenant': 'city-0' });
    const exportMs = performance.now() - exportStarted;
    console.log(`export of ${perTenant} records: ${exportMs.toFixed(0)} ms, ${(exported.text.length / 1e6).toFixed(1)} MB`);
  } finally {
    await h.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
