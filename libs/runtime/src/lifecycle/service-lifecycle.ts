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

/** How long one connection may take to close on shutdown. */
export const CONNECTION_CLOSE_TIMEOUT_MS = 5_000;

/**
 * How long requests still in flight get once the workers stopped; then every HTTP connection
 * still open (a keep-alive one that became idle after the server began closing, which the server
 * would otherwise keep for its 72 s keep-alive timeout) is closed so the server can finish closing.
 */
export const HTTP_DRAIN_MS = 5_000;

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
  /** The connection being closed, while one is. */
  private closingConnection: string | undefined;
  private phase: 'running' | 'stopping workers' | 'closing the HTTP server' | 'closing connections' | 'closed' = 'running';
  private httpServer: { closeAllConnections(): void } | undefined;
  private httpDrain: NodeJS.Timeout | undefined;

  constructor(@Inject(SERVICE_LOGGER) private readonly logger: Logger) {}

  /** The service's HTTP server, whose remaining connections are closed HTTP_DRAIN_MS into its close. */
  attachHttpServer(server: { closeAllConnections(): void }): void {
    this.httpServer = server;
  }

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

  /** Where a shutdown is: the workers still stopping, the connection being closed (for a shutdown that times out). */
  get shutdownProgress(): { phase: string; workersStillStopping: string[]; closingConnection?: string } {
    return {
      phase: this.phase,
      workersStillStopping: [...this.stoppingWorkers],
      ...(this.closingConnection !== undefined && { closingConnection: this.closingConnection }),
    };
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
    this.phase = 'stopping workers';
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
    // Nest closes the HTTP server next (in-flight requests finish), then onApplicationShutdown.
    this.phase = 'closing the HTTP server';
    if (this.httpServer) {
      const server = this.httpServer;
      this.httpDrain = setTimeout(() => {
        this.logger.warn({ drainMs: HTTP_DRAIN_MS }, 'closing the HTTP connections still open');
        server.closeAllConnections();
      }, HTTP_DRAIN_MS);
      this.httpDrain.unref();
    }
  }

  /**
   * Closes the connections, last opened first. The workers have drained by now (nothing durable
   * is pending), so a close that hangs is logged and left to the process exit after
   * CONNECTION_CLOSE_TIMEOUT_MS instead of holding the shutdown.
   */
  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.httpDrain);
    this.phase = 'closing connections';
    for (const connection of [...this.connections].reverse()) {
      this.closingConnection = connection.name;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), CONNECTION_CLOSE_TIMEOUT_MS);
      });
      try {
        const outcome = await Promise.race([connection.close(), timedOut]);
        if (outcome === 'timed out') {
          this.logger.error({ connection: connection.name, timeoutMs: CONNECTION_CLOSE_TIMEOUT_MS }, 'connection did not close in time; left to the exit');
        }
      } catch (error) {
        this.logger.error({ err: error, connection: connection.name }, 'connection did not close cleanly');
      } finally {
        clearTimeout(timer);
      }
    }
    this.closingConnection = undefined;
    this.phase = 'closed';
    this.logger.info('connections closed');
  }

  private async startWorker(worker: ManagedWorker): Promise<void> {
    await worker.start();
    this.logger.info({ worker: worker.name }, 'worker started');
  }
}
