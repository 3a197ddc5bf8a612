// What each image runs: `node main.js` from the build output (dist/apps/<svc>), copied out of the
// workspace with only the dependencies its generated package.json declares, and with exactly the
// environment the chart gives the pod (NODE_ENV=production; Secret keys and pod fields filled in
// here), so a variable a service requires in production that the chart does not set fails here.
// It runs against the dev broker, a fresh database with the real migrations, and the Keycloak stand-in.
import { provisionedTopics } from '@urbis/contracts';
import {
  applyMigrations,
  createTestDatabase,
  type DevIdp,
  type DevKafka,
  eventually,
  freePort,
  startDevIdp,
  startDevKafka,
  type TestDatabase,
} from '@urbis/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureBinaries } from './binaries';
import { type K8sObject, parseManifests, stageCharts } from './charts';
import { RUNTIME_METRICS } from './monitoring';
import { serviceEnv } from './service-env';
import { SERVICES } from './services';

const workspaceRoot = resolve(__dirname, '../../..');

/**
 * Test values for the Secret keys the charts reference, `<secret>/<key>` → value (the database
 * URL is the test database's). A chart that gives a service a required Secret key not listed
 * here fails the test: add a value the service accepts.
 */
const TEST_SECRET_VALUES: Record<string, string> = {
  // an Ed25519 seed, as `openssl rand -base64 32` makes it
  'urbis-ledger-signing-key/key': randomBytes(32).toString('base64'),
};

/** What the chart sets that must point at this machine's components instead. */
function localEndpoints(kafka: DevKafka, idp: DevIdp, port: number): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: String(port),
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    OIDC_ISSUER_URL: idp.issuer,
    // connectivity's MQTT server: a free port here (the pod listens on 1883)
    MQTT_PORT: '0',
    OTEL_TRACES_EXPORTER: 'none',
  };
}

interface GeneratedPackage {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** dist/apps/<svc> copied to a directory outside the workspace, resolving only its declared dependencies. */
function isolatedCopy(service: string): { dir: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), `urbis-dist-${service}-`));
  const dir = join(root, service);
  cpSync(join(workspaceRoot, 'dist/apps', service), dir, { recursive: true });
  const generated = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as GeneratedPackage;
  for (const name of Object.keys(generated.dependencies ?? {})) {
    const link = join(dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(workspaceRoot, 'node_modules', name), link, 'dir');
  }
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

describe('service build output (what the images run)', () => {
  let kafka: DevKafka;
  let idp: DevIdp;
  let chart: K8sObject[];
  const databases = new Map<string, TestDatabase>();

  beforeAll(async () => {
    const charts = stageCharts(workspaceRoot, ensureBinaries(workspaceRoot));
    try {
      chart = parseManifests(charts.helm(['template', 'urbis', 'urbis', '--namespace', 'urbis']));
    } finally {
      charts.remove();
    }
    kafka = await startDevKafka({ topics: provisionedTopics(), groupInitialRebalanceDelayMs: 100 });
    idp = await startDevIdp();
    await Promise.all(
      SERVICES.map(async ({ name }) => {
        const database = await createTestDatabase(`dist_${name}`);
        databases.set(name, database);
        await applyMigrations(name, database.url);
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...databases.values()].map((database) => database.drop()));
    await idp?.stop();
    await kafka?.stop();
  });

  it.each(SERVICES.map(({ name }) => name))('%s: the generated package.json lists production dependencies only', (service) => {
    const generated = JSON.parse(readFileSync(join(workspaceRoot, 'dist/apps', service, 'package.json'), 'utf8')) as GeneratedPackage;
    const workspace = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as GeneratedPackage;
    expect(generated.devDependencies ?? {}).toEqual({});
    const devOnly = Object.keys(generated.dependencies ?? {}).filter((name) => name in (workspace.devDependencies ?? {}));
    expect(devOnly).toEqual([]);
    expect(existsSync(join(workspaceRoot, 'dist/apps', service, 'prisma/schema.prisma'))).toBe(true);
  });

  it.each(SERVICES.map(({ name }) => name))(
    '%s starts from its build output with the chart\'s environment and reports ready',
    async (service) => {
      const rendered = serviceEnv(chart, `urbis-${service}`);
      expect(rendered.values['NODE_ENV']).toBe('production');
      const port = await freePort();
      const env: Record<string, string> = { ...rendered.values };
      for (const [name, value] of Object.entries(localEndpoints(kafka, idp, port))) {
        // only what the chart sets: the service gets no variable the pod would not have
        if (name in env) env[name] = value;
      }
      delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      for (const variable of rendered.fromSecrets) {
        const value =
          variable.name === 'DATABASE_URL'
            ? databases.get(service)?.url
            : TEST_SECRET_VALUES[`${variable.secret}/${variable.key}`];
        if (value !== undefined) env[variable.name] = value;
        else if (!variable.optional) {
          throw new Error(`the chart gives ${service} ${variable.name} from Secret ${variable.secret}/${variable.key}: add a test value to TEST_SECRET_VALUES`);
        }
      }
      for (const [name, fieldPath] of Object.entries(rendered.fromPod)) {
        if (fieldPath !== 'metadata.name') throw new Error(`${service}: ${name} from ${fieldPath} has no test value`);
        env[name] = `urbis-${service}-5d8f7c9b4-x2x7q`;
      }

      const copy = isolatedCopy(service);
      let output = '';
      const child: ChildProcess = spawn(process.execPath, ['main.js'], {
        cwd: copy.dir,
        env: { PATH: process.env['PATH'] ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      const url = `http://127.0.0.1:${port}`;
      try {
        await eventually(
          async () => {
            if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was ready:\n${output}`);
            return (await fetch(`${url}/health/ready`).then((res) => res.status, () => 0)) === 200;
          },
          { timeoutMs: 90_000, everyMs: 500, what: `${service} ready` },
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${output}`);
        });
        expect((await fetch(`${url}/health/live`)).status).toBe(200);
        // one API request, so the HTTP server metrics the dashboards read have a series
        expect((await fetch(`${url}/docs-json`)).status).toBe(200);
        const metrics = await fetch(`${url}/metrics`);
        expect(metrics.status).toBe(200);
        const exposition = await metrics.text();
        // the panels and alerts of deploy/monitoring read these
        for (const name of RUNTIME_METRICS) expect(exposition).toContain(name);
        expect(exposition).toMatch(/^http_server_request_duration_bucket\{.*http_response_status_code="200"/m);
        // by the route matched (the server span is named after it too)
        expect(exposition).toMatch(/^http_server_request_duration_count\{.*http_route="\/docs-json".* [1-9]/m);
        if (service === 'connectivity') expect(exposition).toContain('connectivity_mqtt_sessions');
      } finally {
        child.kill('SIGTERM');
      }
      try {
        // A graceful stop within SHUTDOWN_TIMEOUT_MS, as on a pod's SIGTERM.
        const code = await exited;
        if (code !== 0) throw new Error(`${service} exited with ${code} on SIGTERM:\n${output.slice(-4000)}`);
      } finally {
        copy.remove();
      }
    },
    120_000,
  );
});
