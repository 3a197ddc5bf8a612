// How the NGSI-LD benches start the data service: BENCH_<NAME>=value sets the service's <NAME>
// (e.g. BENCH_NGSILD_WRITE_MAX_BATCH=1000, BENCH_OTEL_SDK_DISABLED=true), and BENCH_CPU_PROF=<dir>
// runs it under `node --cpu-prof` (which NODE_OPTIONS does not allow), its profile written there
// when it stops.
import { provisionedTopics } from '@urbis/contracts';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  type DevIdp,
  type DevKafka,
  type ServiceProcess,
  startDevIdp,
  startDevKafka,
  startServiceProcess,
  TEST_REALM_FILE,
  type TestDatabase,
} from '@urbis/testing';

export interface BenchedDataService {
  database: TestDatabase;
  kafka: DevKafka;
  idp: DevIdp;
  service: ServiceProcess;
  /** Stops the service, the broker and the IdP, and drops the database. */
  stop(): Promise<void>;
}

/**
 * The data service as a process in production mode on a fresh database (its real migrations),
 * a one-broker dev Kafka and the dev IdP, with the bench's BENCH_* variables and CPU profile.
 */
export async function startDataForBench(databasePrefix: string): Promise<BenchedDataService> {
  const database = await createTestDatabase(databasePrefix);
  await buildDevKafka();
  const [kafka, idp] = await Promise.all([
    startDevKafka({ topics: provisionedTopics(), brokers: 1 }),
    startDevIdp({ realmFile: TEST_REALM_FILE }),
    applyMigrations('data', database.url),
  ]);
  const service = await startServiceProcess(
    'data',
    {
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.bootstrapServers.join(','),
      OIDC_ISSUER_URL: idp.issuer,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...benchServiceEnv(),
    },
    60_000,
    cpuProfileArgs(),
  );
  return {
    database,
    kafka,
    idp,
    service,
    stop: async () => {
      await service.stop();
      await Promise.all([kafka.stop(), idp.stop()]);
      await database.drop();
    },
  };
}

export function benchServiceEnv(): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('BENCH_') && name !== 'BENCH_CPU_PROF' && value !== undefined) passed[name.slice('BENCH_'.length)] = value;
  }
  return passed;
}

export function cpuProfileArgs(): string[] {
  const dir = process.env['BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** The clock of V8's CPU profiles (CLOCK_MONOTONIC, µs): a phase's window in the service's profile. */
export const monotonicMicros = (): bigint => process.hrtime.bigint() / 1000n;
