import { provisionedTopics, SERVICE_PORTS, type ServiceName } from '@urbis/contracts';
import { applyMigrations, DevIdp, DevKafka, type OtlpReceiver, startDevIdp, startDevKafka, startOtlpReceiver } from '@urbis/testing';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, run, startProcess, waitUntilOk } from './processes';

/** The five services on their usual ports (`SERVICE_PORTS`, the same as docker-compose and the charts). */
export const SERVICES: readonly { name: ServiceName; port: number }[] = (Object.keys(SERVICE_PORTS) as ServiceName[]).map((name) => ({
  name,
  port: SERVICE_PORTS[name],
}));

export const DEV_IDP_PORT = 8180;
/** The dev broker's first port (three brokers: 9092-9094), the services' default KAFKA_BROKERS. */
export const DEV_KAFKA_PORT = 9092;
/** Connectivity's MQTT server locally: Mosquitto holds 1883 on the project's machines. */
export const DEV_MQTT_PORT = 1884;
/** OTLP/HTTP's usual port: the stack's own trace receiver, unless a collector already listens there. */
export const DEV_OTLP_PORT = 4318;
/** Tenant demo's LoRaWAN webhook secret locally (connectivity's `LORAWAN_WEBHOOK_SECRETS`). */
export const DEV_LORAWAN_SECRET = 'urbis-dev-lorawan-secret';

export interface StackOptions {
  root: string;
  /** Skip `nx build` (the dist output must already exist). */
  skipBuild?: boolean;
  log?: (line: string) => void;
}

export interface Stack {
  kafka: DevKafka;
  idp: DevIdp;
  services: ManagedProcess[];
  /** Where the services send their traces (OTLP/HTTP), and whether it is the stack's own receiver. */
  traces: { endpoint: string; own: boolean };
  stop(): Promise<void>;
}

/**
 * The services export their spans to `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set; otherwise to
 * a receiver the stack runs on 4318 (or to whatever collector already listens there).
 */
async function traceReceiver(): Promise<{ endpoint: string; receiver?: OtlpReceiver }> {
  const configured = process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (configured) return { endpoint: configured };
  try {
    const receiver = await startOtlpReceiver({ port: DEV_OTLP_PORT, maxSpans: 50_000 });
    return { endpoint: receiver.url, receiver };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return { endpoint: `http://127.0.0.1:${DEV_OTLP_PORT}` };
    throw error;
  }
}

const databaseUrl = (service: string) => `postgresql://postgres@127.0.0.1:5432/urbis_${service}`;

/**
 * Starts the whole platform on this machine: dev broker, Keycloak stand-in, databases with their
 * migrations, and the five services from their build output; resolves once every service is ready.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { root } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const stateDir = join(root, '.urbis');
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const npx = 'npx';
  const names = SERVICES.map((service) => service.name).join(',');

  log('• building the dev broker (cached after the first time)');
  await run('bash', [join(root, 'tools/dev-kafka/build.sh')], { cwd: root });
  if (!options.skipBuild) {
    log('• building the five services (nx caches unchanged ones)');
    await run(npx, ['nx', 'run-many', '-t', 'build', '-p', names, '--outputStyle=static'], { cwd: root });
  }

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const component of started.reverse()) await component.stop();
  };
  try {
    log('• starting the dev Kafka broker');
    const kafka = await startDevKafka({
      topics: provisionedTopics(),
      port: DEV_KAFKA_PORT,
      detached: true,
      bootstrapFile: join(stateDir, 'kafka-bootstrap'),
    });
    started.push(kafka);

    log('• starting the Keycloak stand-in (tools/dev-idp)');
    const idp = await startDevIdp({ port: DEV_IDP_PORT, detached: true });
    started.push(idp);

    const traces = await traceReceiver();
    if (traces.receiver) started.push(traces.receiver);

    log('• creating databases and applying migrations');
    await Promise.all(SERVICES.map(({ name }) => applyMigrations(name, databaseUrl(name))));

    log('• starting the services');
    const services = SERVICES.map(({ name, port }) =>
      startProcess(name, process.execPath, [join(root, 'dist/apps', name, 'main.js')], {
        cwd: root,
        logFile: join(stateDir, 'logs', `${name}.log`),
        env: {
          NODE_ENV: 'development',
          PORT: String(port),
          DATABASE_URL: databaseUrl(name),
          KAFKA_BROKERS: kafka.bootstrapServers.join(','),
          OIDC_ISSUER_URL: idp.issuer,
          OTEL_SERVICE_NAME: `urbis-${name}`,
          ...(!process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] && { OTEL_EXPORTER_OTLP_ENDPOINT: traces.endpoint }),
          ...(name === 'connectivity' && { MQTT_PORT: String(DEV_MQTT_PORT), LORAWAN_WEBHOOK_SECRETS: `demo=${DEV_LORAWAN_SECRET}` }),
        },
      }),
    );
    started.push(...services);
    await Promise.all(
      SERVICES.map(({ port }, index) =>
        waitUntilOk(
          `http://127.0.0.1:${port}/health/ready`,
          120_000,
          () => services[index].child.exitCode === null,
        ),
      ),
    );
    return { kafka, idp, services, traces: { endpoint: traces.endpoint, own: traces.receiver !== undefined }, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
