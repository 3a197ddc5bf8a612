import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from '@urbis/observability';
import { SERVICE_LOGGER } from '../tokens';
import { type CheckResult, type ReadinessCheck, type ReadinessReport, runCheck } from './readiness';

/**
 * A connection the service opens at boot and closes last: database, Kafka producer. Its
 * `check` is a readiness check; `close` runs after in-flight HTTP requests finished.
 */
export interface ManagedConnection extends ReadinessCheck {
  close(): Promise<void>;
}

/**
 * Background work started once the service is up and stopped first on shutdown: Kafka
 * consumers, the outbox relay. Ready only while running. `EventConsumer` and `OutboxRelay`
 * from @urbis/messaging fit as they are (plus a name).
 */
export interface ManagedWorker {
  readonly name: string;
  start(): Promise<void> | void;
  /** Drains: finishes the batch in hand and commits what is durable. */
  stop(): Promise<void>;
  isRunning(): boolean;
  /** Why it is not running, for the readiness report (e.g. a consumer's state). */
  notRunningBecause?(): string;
}

/**
 * The readiness registry and the shutdown order of a service. Libraries and services
 * contribute from their providers (`lifecycle.addCheck / addConnection / addWorker`).
 *
 * Shutdown (`app.close()`, which bootstrapService calls on SIGTERM/SIGINT), in order:
 *  1. onModuleDestroy: not ready, new HTTP requests answered 503; workers stopped (drained);
 *  2. Nest closes the HTTP server, waiting for in-flight requests;
 *  3. onApplicationShutdown: connections closed, last opened first (producer, then database).
 */
@Injectable()
export class ServiceLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly checks: ReadinessCheck[] = [];
  private readonly connections: ManagedConnection[] = [];
  private readonly workers: ManagedWorker[] = [];
  private workersStarted = false;
  private stopping = false;
  /** Workers asked to stop that have not finished yet (named in a shutdown that times out). */
  private readonly stoppingWorkers = new Set<string>();

  constructor(@Inject(SERVICE_LOGGER) private readonly logger: Logger) {}

  addCheck(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  addConnection(connection: ManagedConnection): void {
    this.connections.push(connection);
    this.checks.push(connection);
  }

  /** Starts at application bootstrap (or now, if it already happened). */
  addWorker(worker: ManagedWorker): void {
    this.workers.push(worker);
    this.checks.push({
      name: worker.name,
      check: async () => (worker.isRunning() ? true : { ok: false, detail: worker.notRunningBecause?.() }),
    });
    if (this.workersStarted) void this.startWorker(worker);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** The workers still stopping, by name. */
  get workersStillStopping(): string[] {
    return [...this.stoppingWorkers];
  }

  async readiness(): Promise<ReadinessReport> {
    const checks: CheckResult[] = await Promise.all(this.checks.map((check) => runCheck(check)));
    if (this.stopping) checks.unshift({ name: 'shutdown', ok: false, detail: 'shutting down' });
    return { ready: checks.every((check) => check.ok), checks };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.workersStarted = true;
    // A worker that cannot start is a boot failure, as an unreachable database is.
    for (const worker of this.workers) await this.startWorker(worker);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.logger.info(
      { workers: this.workers.map((w) => w.name) },
      'shutting down: not ready, stopping workers',
    );
    await Promise.all(
      this.workers.map((worker) => {
        this.stoppingWorkers.add(worker.name);
        return worker
          .stop()
          .catch((error: unknown) =>
            this.logger.error({ err: error, worker: worker.name }, 'worker did not stop cleanly'),
          )
          .finally(() => this.stoppingWorkers.delete(worker.name));
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    for (const connection of [...this.connections].reverse()) {
      try {
        await connection.close();
      } catch (error) {
        this.logger.error({ err: error, connection: connection.name }, 'connection did not close cleanly');
      }
    }
    this.logger.info('connections closed');
  }

  private async startWorker(worker: ManagedWorker): Promise<void> {
    await worker.start();
    this.logger.info({ worker: worker.name }, 'worker started');
  }
}
