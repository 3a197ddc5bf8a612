import type { Logger } from '@urbis/observability';
import type { IntegrationConfig } from '../config';
import type { DestinationGuard } from '../outbound/destination-guard';
import type { OutboundHttp } from '../outbound/outbound-http';
import { CONFIG_SCHEMAS } from './connector.dto';
import type { ClaimedConnector, ConnectorsRepository } from './connectors.repository';
import type { ObservationSink } from './observation-sink';
import { HttpPollRunner } from './runners/http-poll.runner';
import { ModbusRunner } from './runners/modbus.runner';
import { OpcuaRunner, releaseOpcua } from './runners/opcua.runner';
import { ConnectorReport, type ConnectorRunner, type RunnerContext } from './runners/runner';

interface Running {
  runner: ConnectorRunner;
  report: ConnectorReport;
  version: number;
  paused: boolean;
}

/**
 * Runs the connectors that need a process (poll, OPC UA, Modbus). Each tick it renews its
 * leases and takes free connectors (each runs on exactly one replica), starts, restarts (config
 * changed), pauses or stops runners to match what the API asked for, and writes their status and
 * counters back. A replica that dies stops renewing; another takes its connectors over.
 */
export class ConnectorSupervisor {
  readonly name = 'connector-supervisor';
  private readonly running = new Map<string, Running>();
  private loop?: Promise<void>;
  private stopping = false;
  private started = false;
  private wake?: () => void;
  private healthy = true;

  constructor(
    private readonly connectors: ConnectorsRepository,
    private readonly sink: ObservationSink,
    private readonly guard: DestinationGuard,
    private readonly http: OutboundHttp,
    private readonly config: IntegrationConfig,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    this.started = true;
    this.stopping = false;
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.running.keys()].map((id) => this.retire(id, 'starting')));
    await releaseOpcua().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'releasing the OPC UA certificate store failed'),
    );
    this.started = false;
  }

  isRunning(): boolean {
    return this.started && !this.stopping && this.healthy;
  }

  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.tick();
        this.healthy = true;
      } catch (error) {
        this.healthy = false;
        this.logger.error({ err: error }, 'connector supervision failed');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.config.connectors.tickMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
    }
  }

  private async tick(): Promise<void> {
    const claimed = await this.connectors.claim(this.config.instanceId, this.config.connectors.leaseMs);
    const wanted = new Set(claimed.map((row) => row.id));
    for (const id of this.running.keys()) {
      if (!wanted.has(id)) await this.retire(id, 'stopped');
    }
    for (const row of claimed) {
      let current = this.running.get(row.id);
      if (current && current.version !== row.updatedAt.getTime()) {
        await this.retire(row.id, 'starting');
        current = undefined;
      }
      const paused = row.desiredState === 'paused';
      if (!current) {
        current = this.launch(row);
        if (!current) continue;
      }
      if (current.paused !== paused) {
        current.paused = paused;
        await current.runner.setPaused(paused);
      }
    }
    for (const [id, current] of this.running) {
      await this.connectors.flush(id, this.config.instanceId, current.report);
    }
  }

  private launch(row: ClaimedConnector): Running | undefined {
    const report = new ConnectorReport();
    const mapping = this.sink.mapping(row.mapping);
    const ctx: RunnerContext = {
      tenant: row.tenant,
      connectorId: row.id,
      name: row.name,
      report,
      emit: (input, receivedAt) => this.sink.emit(row, mapping, report, input, receivedAt),
      guard: this.guard,
      http: this.http,
      logger: this.logger,
      reconnect: this.config.connectors.reconnect,
    };
    let runner: ConnectorRunner;
    switch (row.kind) {
      case 'http_poll':
        runner = new HttpPollRunner(
          ctx,
          CONFIG_SCHEMAS['http-poll'].parse(row.config),
          (row.pollState as Record<string, string> | null) ?? {},
        );
        break;
      case 'opcua':
        runner = new OpcuaRunner(
          ctx,
          CONFIG_SCHEMAS.opcua.parse(row.config),
          this.config.connectors.opcuaPkiDir,
        );
        break;
      case 'modbus':
        runner = new ModbusRunner(ctx, CONFIG_SCHEMAS.modbus.parse(row.config));
        break;
      case 'http_push':
        return undefined;
    }
    const running: Running = { runner, report, version: row.updatedAt.getTime(), paused: false };
    this.running.set(row.id, running);
    runner.start();
    this.logger.info({ connectorId: row.id, kind: row.kind }, 'connector started');
    return running;
  }

  private async retire(id: string, status: 'stopped' | 'starting'): Promise<void> {
    const current = this.running.get(id);
    if (!current) return;
    this.running.delete(id);
    await current.runner
      .stop()
      .catch((error: unknown) => this.logger.warn({ err: error, connectorId: id }, 'connector stop failed'));
    current.report.set(status);
    await this.connectors.flush(id, this.config.instanceId, current.report).catch(() => undefined);
    if (status === 'stopped' || this.stopping)
      await this.connectors.release(id, this.config.instanceId, status).catch(() => undefined);
    this.logger.info({ connectorId: id }, 'connector stopped');
  }
}
