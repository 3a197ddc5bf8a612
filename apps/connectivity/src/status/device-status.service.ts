import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { OutboxRelay } from '@urbis/messaging';
import { type Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { ConnectivityConfig } from '../config';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import { DeviceStatusRepository, type Sighting, type StatusReason, type StatusTransport } from './device-status.repository';

/**
 * Keeps every device's status: sessions opened and closed (MQTT), last-seen from every uplink
 * (buffered, written in one statement per interval), and the silence sweep that turns devices
 * offline once they missed their profile's expected reports, HTTP and LoRaWAN devices included.
 * Runs as a worker: on start it releases the sessions a previous life of this replica left behind.
 * Each sweep also counts the devices online and offline for the `connectivity.devices` gauge.
 */
@Injectable()
export class DeviceStatusService implements OnModuleInit {
  private sightings = new Map<string, Sighting>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly repository: DeviceStatusRepository,
    private readonly relay: OutboxRelay,
    private readonly metrics: ConnectivityMetrics,
  ) {}

  onModuleInit(): void {
    this.lifecycle.addWorker({
      name: 'device-status',
      start: () => this.start(),
      stop: () => this.stop(),
      isRunning: () => this.running,
    });
  }

  async start(): Promise<void> {
    const released = await this.repository.releaseReplica(this.config.replicaId);
    if (released > 0) this.logger.info({ released }, 'released sessions of a previous run of this replica');
    this.flushTimer = setInterval(() => this.background(this.flush()), this.config.status.flushIntervalMs);
    this.sweepTimer = setInterval(() => this.background(this.sweep()), this.config.status.silenceCheckIntervalMs);
    this.running = true;
    this.background(this.countDevices());
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.pending]);
    await this.flush();
  }

  /** A device was heard (an accepted uplink). */
  seen(tenant: string, deviceId: string, transport: StatusTransport, at: Date = new Date()): void {
    const key = `${tenant}/${deviceId}`;
    const sighting = this.sightings.get(key);
    // Still in this interval's map, so not handed to a flush yet: updated in place.
    if (sighting) {
      sighting.transport = transport;
      sighting.at = at;
    } else {
      this.sightings.set(key, { tenant, deviceId, transport, at });
    }
    if (!this.running) this.background(this.flush());
  }

  sessionOpened(tenant: string, deviceId: string, connectedAt: Date, address: string | null): void {
    this.background(
      this.repository.sessionOpened(tenant, deviceId, this.config.replicaId, connectedAt, address).then(() => this.relay.nudge()),
    );
  }

  sessionClosed(tenant: string, deviceId: string, connectedAt: Date, reason: StatusReason): void {
    this.background(
      this.repository.sessionClosed(tenant, deviceId, this.config.replicaId, connectedAt, reason).then(() => this.relay.nudge()),
    );
  }

  /** Status writes not finished yet (the MQTT server waits for them on shutdown). */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.pending]);
  }

  async flush(): Promise<void> {
    if (this.sightings.size === 0) return;
    const batch = [...this.sightings.values()];
    this.sightings = new Map();
    if ((await this.repository.seen(batch)) > 0) this.relay.nudge();
  }

  async sweep(): Promise<void> {
    const silenced = await this.repository.markSilent(this.config.status.silenceTolerance);
    if (silenced > 0) {
      this.logger.info({ silenced }, 'devices silent past their expected interval marked offline');
      this.relay.nudge();
    }
    await this.countDevices();
  }

  private async countDevices(): Promise<void> {
    this.metrics.devices = await this.repository.countByStatus();
  }

  /** Runs a status write in the background: logged if it fails, awaited on shutdown. */
  private background(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => this.logger.error({ err: error }, 'device status not written'),
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}
