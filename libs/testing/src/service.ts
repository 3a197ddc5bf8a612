// The boot test every service shares: real migrations on a fresh database, the dev broker,
// the service booted through @urbis/runtime, and its main.ts run with a bad environment.
// Uses Jest's globals (not @jest/globals), so that importing @urbis/testing outside Jest is safe.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './database';
import { buildDevKafka, type DevKafka, startDevKafka } from './dev-kafka';
import { findRepoRoot } from './repo-root';
import { tsNodeArgs, tsNodeEnv } from './ts-process';

/** Applies `apps/<service>/prisma/migrations` to `databaseUrl`, as `nx run <service>:db:migrate` does. */
export async function applyMigrations(service: string, databaseUrl: string): Promise<void> {
  const root = findRepoRoot();
  await promisify(execFile)(
    process.execPath,
    [
      path.join(root, 'node_modules/prisma/build/index.js'),
      'migrate',
      'deploy',
      '--config',
      path.join(root, 'apps', service, 'prisma.config.ts'),
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
  );
}

export interface MainResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `apps/<service>/src/main.ts` in a child process with exactly `env` (plus PATH), until it exits. */
export function runServiceMain(
  service: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<MainResult> {
  const root = findRepoRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsNodeArgs(path.join(root, 'apps', service, 'src/main.ts')), {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...tsNodeEnv(), OTEL_TRACES_EXPORTER: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} main.ts did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A service booted in the test process (`startServiceForTest` from @urbis/runtime). */
export interface StartedService {
  url: string;
  shutdown(): Promise<void>;
}

export interface ServiceBootSuiteOptions {
  /** The app under apps/, e.g. `devices`. */
  service: string;
  /**
   * Boots the service with this flat environment (database and broker of the test). Passed
   * in, not imported, because @urbis/runtime's own dependencies are tested with this lib.
   */
  start: (env: Record<string, string>) => Promise<StartedService>;
  /** Topics the dev broker pre-creates (it has no CreateTopics API): `provisionedTopics()`. */
  topics: readonly string[];
  /** Background workers the service runs (readiness checks by that name), e.g. `['outbox-relay']`. */
  workers?: readonly string[];
  /** The tables the service's own migrations add beside the outbox and dedupe tables. */
  tables?: readonly string[];
}

/**
 * Declares the boot suite of one service. Its own features add their own suites; this one
 * proves the service starts on real dependencies, is ready, observable and documented, and
 * refuses a bad environment.
 */
export function describeServiceBoot({
  service,
  start,
  topics,
  workers = [],
  tables = [],
}: ServiceBootSuiteOptions): void {
  describe(`${service} service boot`, () => {
    let database: TestDatabase | undefined;
    let kafka: DevKafka | undefined;
    let running: StartedService | undefined;

    beforeAll(async () => {
      database = await createTestDatabase(service);
      await buildDevKafka();
      [kafka] = await Promise.all([
        startDevKafka({ topics, brokers: 1, groupInitialRebalanceDelayMs: 100 }),
        applyMigrations(service, database.url),
      ]);
      running = await start({
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        KAFKA_BROKERS: kafka.bootstrapServers.join(','),
        LOG_LEVEL: 'silent',
      });
    });

    afterAll(async () => {
      await running?.shutdown();
      await kafka?.stop();
      await database?.drop();
    });

    it('applied its migrations: the outbox and dedupe tables, with the partial index', async () => {
      const client = new Client({ connectionString: database?.url });
      await client.connect();
      try {
        const rows = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
        expect(rows.rows.map((row) => row.table_name).sort()).toEqual(
          ['_prisma_migrations', 'outbox_event', 'processed_event', ...tables].sort(),
        );
        const index = await client.query<{ indexdef: string }>(
          "SELECT indexdef FROM pg_indexes WHERE indexname = 'outbox_event_unpublished_idx'",
        );
        expect(index.rows[0]?.indexdef).toContain('WHERE (published_at IS NULL)');
      } finally {
        await client.end();
      }
    });

    it('is ready once its database, broker, producer and workers are up', async () => {
      const response = await fetch(`${running?.url}/health/ready`);
      const body = (await response.json()) as { status: string; checks: { name: string; ok: boolean }[] };
      expect(response.status).toBe(200);
      expect(body.checks.map((check) => check.name).sort()).toEqual(
        ['broker', 'database', 'kafka-producer', ...workers].sort(),
      );
      expect(body.checks.every((check) => check.ok)).toBe(true);
    });

    it('is live, serves Prometheus metrics and its OpenAPI document', async () => {
      expect((await fetch(`${running?.url}/health/live`)).status).toBe(200);
      const metrics = await fetch(`${running?.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const docs = await fetch(`${running?.url}/docs-json`);
      expect(docs.status).toBe(200);
      expect(((await docs.json()) as { info: { title: string } }).info.title).toBe(`Urbis ${service}`);
    });

    it('refuses to start with a bad environment, naming every bad variable', async () => {
      const result = await runServiceMain(service, {
        NODE_ENV: 'production',
        PORT: 'abc',
        LOG_LEVEL: 'loud',
      });
      expect(result.code).toBe(1);
      for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'KAFKA_BROKERS', 'OIDC_ISSUER_URL']) {
        expect(result.stderr).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
      }
    });
  });
}
