// The boot test every service shares: real migrations on a fresh database, the dev broker,
// the service booted through @urbis/runtime, and its main.ts run with a bad environment.
// Uses Jest's globals (not @jest/globals), so that importing @urbis/testing outside Jest is safe.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './database';
import { buildDevKafka, type DevKafka, startDevKafka } from './dev-kafka';
import { eventually } from './eventually';
import { findRepoRoot } from './repo-root';
import { tsNodeArgs, tsNodeEnv } from './ts-process';

/**
 * Applies `apps/<service>/prisma/migrations` to `databaseUrl`, as `nx run <service>:db:migrate`
 * does. Prisma 6.19's WASM schema engine keeps the CLI alive for ~10 s after it has finished (a
 * timer it sets), so the CLI is stopped once it has reported success: the migrations are committed
 * by then, and every test suite saves those seconds.
 */
export async function applyMigrations(service: string, databaseUrl: string): Promise<void> {
  const root = findRepoRoot();
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules/prisma/build/index.js'),
      'migrate',
      'deploy',
      '--config',
      path.join(root, 'apps', service, 'prisma.config.ts'),
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`prisma migrate deploy (${service}) did not finish within 60 s:\n${output}`));
    }, 60_000);
    const onOutput = (chunk: string) => {
      output += chunk;
      if (!MIGRATED.test(output)) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve();
    };
    child.stdout.setEncoding('utf8').on('data', onOutput);
    child.stderr.setEncoding('utf8').on('data', onOutput);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 || MIGRATED.test(output)) resolve();
      else reject(new Error(`prisma migrate deploy (${service}) failed (exit ${String(code)}):\n${output}`));
    });
  });
}

/** What `prisma migrate deploy` prints once every migration is committed. */
const MIGRATED = /All migrations have been successfully applied\.|No pending migrations to apply\./;

/** A TCP port that was free a moment ago on 127.0.0.1 (for a child service's listeners). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A service's main.ts running in a child process. */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `apps/<service>/src/main.ts` in a child process on a free HTTP port (or `env.PORT`) with
 * `env` (plus PATH), and resolves once its /health/ready answers 200. For tests that kill a service, run two
 * replicas, or run two services against each other.
 */
export async function startServiceProcess(
  service: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  /** Node options before the script, e.g. `--cpu-prof` (which NODE_OPTIONS does not allow). */
  nodeArgs: readonly string[] = [],
): Promise<ServiceProcess> {
  const root = findRepoRoot();
  // A PORT in `env` is kept: a service restarted where its clients expect it.
  const port = env['PORT'] !== undefined ? Number(env['PORT']) : await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ...tsNodeArgs(path.join(root, 'apps', service, 'src/main.ts'))], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...tsNodeEnv(),
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (hasExited) throw new Error('exited before it was ready');
        const response = await fetch(`${url}/health/ready`).catch(() => undefined);
        return response?.status === 200;
      },
      { timeoutMs: readyTimeoutMs, everyMs: 200, what: `${service} ready` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${service} child did not become ready: ${(error as Error).message}\n${output}`);
  }
  const stop = async (graceMs = 20_000) => {
    if (!hasExited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { url, child, output: () => output, exited, stop };
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

    it('applied its migrations: the outbox and dedupe tables, with their indexes', async () => {
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
        // what retention prunes by (pruneMessagingTables)
        const brin = await client.query<{ indexname: string }>(
          "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING brin%' AND tablename IN ('outbox_event', 'processed_event') ORDER BY indexname",
        );
        expect(brin.rows.map((row) => row.indexname)).toEqual(['outbox_event_created_brin', 'processed_event_processed_brin']);
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
