// What each image runs: `node dist/apps/<svc>/main.js` from the build output, with the
// environment the chart gives it (NODE_ENV=production, every required variable set), against
// the dev broker, a fresh database with the real migrations, and the Keycloak stand-in.
import { provisionedTopics } from '@urbis/contracts';
import { createTestDatabase, type DevIdp, type DevKafka, startDevIdp, startDevKafka, type TestDatabase } from '@urbis/testing';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { RUNTIME_METRICS } from './monitoring';
import { SERVICES } from './services';

const workspaceRoot = resolve(__dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was ready:\n${output()}`);
    const status = await fetch(url).then((res) => res.status, () => 0);
    if (status === 200) return;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${output()}`);
}

describe('service build output (what the images run)', () => {
  let kafka: DevKafka;
  let idp: DevIdp;
  const databases = new Map<string, TestDatabase>();

  beforeAll(async () => {
    kafka = await startDevKafka({ topics: provisionedTopics(), groupInitialRebalanceDelayMs: 100 });
    idp = await startDevIdp();
    // The five migrations run side by side: each mostly waits (about 10 s per `prisma migrate deploy`).
    await Promise.all(
      SERVICES.map(async ({ name }) => {
        const database = await createTestDatabase(`dist_${name}`);
        databases.set(name, database);
        await promisify(execFile)('npx', ['nx', 'run', `${name}:db:migrate`, '--outputStyle=static', '--skip-nx-cache'], {
          cwd: workspaceRoot,
          env: { ...process.env, DATABASE_URL: database.url, CHECKPOINT_DISABLE: '1', NX_DAEMON: 'false' },
        });
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...databases.values()].map((database) => database.drop()));
    await idp?.stop();
    await kafka?.stop();
  });

  it.each(SERVICES.map(({ name }) => name))(
    '%s starts from dist/ in production mode and reports ready',
    async (service) => {
      const main = join(workspaceRoot, 'dist/apps', service, 'main.js');
      expect(existsSync(main)).toBe(true);
      expect(existsSync(join(workspaceRoot, 'dist/apps', service, 'package.json'))).toBe(true);
      expect(existsSync(join(workspaceRoot, 'dist/apps', service, 'prisma/schema.prisma'))).toBe(true);

      const database = databases.get(service) as TestDatabase;
      const port = await freePort();
      let output = '';
      const child = spawn(process.execPath, [main], {
        cwd: join(workspaceRoot, 'dist/apps', service),
        env: {
          PATH: process.env['PATH'] ?? '',
          NODE_PATH: join(workspaceRoot, 'node_modules'),
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: database.url,
          KAFKA_BROKERS: kafka.bootstrapServers.join(','),
          KAFKA_CLIENT_ID: `urbis-${service}`,
          OIDC_ISSUER_URL: idp.issuer,
          OIDC_CLIENT_ID: `urbis-${service}`,
          LOG_LEVEL: 'warn',
          METRICS_ENABLED: 'true',
          METRICS_PUBLIC: 'true',
          SHUTDOWN_TIMEOUT_MS: '10000',
          OTEL_SERVICE_NAME: `urbis-${service}`,
          OTEL_TRACES_EXPORTER: 'none',
          // connectivity's MQTT server: a free port here (the image listens on 1883)
          MQTT_HOST: '127.0.0.1',
          MQTT_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        await waitForReady(`http://127.0.0.1:${port}/health/ready`, child, () => output);
        expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(metrics.status).toBe(200);
        const exposition = await metrics.text();
        // the runtime panels of deploy/monitoring read these
        for (const name of RUNTIME_METRICS) expect(exposition).toContain(name);
        if (service === 'connectivity') expect(exposition).toContain('connectivity_mqtt_sessions');
      } finally {
        child.kill('SIGTERM');
      }
      // A graceful stop within SHUTDOWN_TIMEOUT_MS, as on a pod's SIGTERM.
      expect(await exited).toBe(0);
    },
    60_000,
  );
});
