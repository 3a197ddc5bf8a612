// Several Urbis services as child processes on one dev broker and one dev IdP, each with its own
// fresh database: for end-to-end tests that cross services (they may not import each other).
import { provisionedTopics } from '@urbis/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database';
import { type DevIdp, startDevIdp } from './dev-idp';
import { buildDevKafka, type DevKafka, startDevKafka } from './dev-kafka';
import { findRepoRoot } from './repo-root';
import { applyMigrations, freePort, type ServiceProcess, startServiceProcess } from './service';
import { TEST_REALM_FILE } from './test-realm';

/** Every service under apps/ (projects tagged `type:app`): new ones are picked up without a change here. */
export function platformServices(): string[] {
  const apps = path.join(findRepoRoot(), 'apps');
  return readdirSync(apps)
    .filter((name) => {
      try {
        const project = JSON.parse(readFileSync(path.join(apps, name, 'project.json'), 'utf8')) as { tags?: string[] };
        return project.tags?.includes('type:app') ?? false;
      } catch {
        return false; // not a project folder
      }
    })
    .sort();
}

export interface PlatformOptions {
  /** Which services; default all of them. */
  services?: readonly string[];
  /** Realm the dev IdP serves; default the shared test realm. */
  realmFile?: string;
  /** Extra environment per service. */
  env?: Record<string, Record<string, string>>;
  /**
   * The PostgreSQL server the services' databases are created on; default the local one
   * (127.0.0.1:5432). A test that restarts the database brings its own (`startPostgresServer`).
   */
  database?: Pick<TestDatabaseOptions, 'host' | 'port'>;
  /** Topics the dev broker pre-creates besides the catalogue's (e.g. a benchmark's reference topic). */
  extraTopics?: readonly string[];
  readyTimeoutMs?: number;
}

export interface Platform {
  kafka: DevKafka;
  idp: DevIdp;
  services: Record<string, ServiceProcess>;
  databases: Record<string, TestDatabase>;
  /** connectivity's MQTT URL, when it runs. */
  mqttUrl?: string;
  /**
   * Ends a service's process (`signal`, default SIGKILL, unless it has exited already) and starts
   * it again on the same port, database and environment; resolves once it is ready, with the new
   * process (also in `services`).
   */
  restart(service: string, options?: { signal?: NodeJS.Signals }): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** Starts the dev broker, the dev IdP and the services (real migrations, `main.ts` in child processes). */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const names = [...(options.services ?? platformServices())];
  await buildDevKafka();
  const [kafka, idp] = await Promise.all([
    startDevKafka({ topics: [...provisionedTopics(), ...(options.extraTopics ?? [])], brokers: 1, partitions: 2, groupInitialRebalanceDelayMs: 100 }),
    startDevIdp({ realmFile: options.realmFile ?? TEST_REALM_FILE }),
  ]);
  const databases: Record<string, TestDatabase> = {};
  const services: Record<string, ServiceProcess> = {};
  const environments: Record<string, Record<string, string>> = {};
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const stop = async () => {
    await Promise.allSettled(Object.values(services).map((service) => service.stop()));
    await Promise.allSettled([kafka.stop(), idp.stop()]);
    await Promise.allSettled(Object.values(databases).map((database) => database.drop()));
  };
  try {
    for (const name of names) databases[name] = await createTestDatabase(`e2e_${name}`, options.database);
    await Promise.all(names.map((name) => applyMigrations(name, (databases[name] as TestDatabase).url)));
    const mqttPort = names.includes('connectivity') ? await freePort() : undefined;
    const started = await Promise.allSettled(
      names.map(async (name) => {
        environments[name] = {
          HOST: '127.0.0.1',
          DATABASE_URL: (databases[name] as TestDatabase).url,
          KAFKA_BROKERS: kafka.bootstrapServers.join(','),
          OIDC_ISSUER_URL: idp.issuer,
          LOG_LEVEL: 'warn',
          ...(name === 'connectivity' && { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort) }),
          ...options.env?.[name],
        };
        services[name] = await startServiceProcess(name, environments[name], readyTimeoutMs);
      }),
    );
    const failed = started.flatMap((result, i) => (result.status === 'rejected' ? [`${names[i]}: ${String((result.reason as Error).message).slice(0, 2000)}`] : []));
    if (failed.length > 0) throw new Error(`services did not start:\n${failed.join('\n')}`);
    const restart = async (name: string, { signal = 'SIGKILL' as NodeJS.Signals } = {}) => {
      const running = services[name];
      const env = environments[name];
      if (!running || !env) throw new Error(`${name} is not a service of this platform`);
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
      await running.exited;
      const port = new URL(running.url).port;
      services[name] = await startServiceProcess(name, { ...env, PORT: port }, readyTimeoutMs);
      return services[name];
    };
    return { kafka, idp, services, databases, ...(mqttPort !== undefined && { mqttUrl: `mqtt://127.0.0.1:${mqttPort}` }), restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
