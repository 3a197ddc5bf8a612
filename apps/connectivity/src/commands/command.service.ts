import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventConsumer, OutboxRelay } from '@urbis/messaging';
import { type Logger } from '@urbis/observability';
import { KAFKA, messagingLogger, SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import type { Kafka } from 'kafkajs';
import { Client as PgClient, type Notification } from 'pg';
import { z } from 'zod';
import type { ConnectivityConfig } from '../config';
import { ConnectivityMetrics } from '../metrics/connectivity-metrics';
import type { DeviceIdentity } from '../mqtt/device-topics';
import { CommandResponseRejected, MqttServer } from '../mqtt/mqtt-server';
import { parseDeviceIdentity } from '../mqtt/device-topics';
import { COMMANDS_CHANNEL, CommandRepository } from './command.repository';

/** What a device may answer: `{ "outcome": "succeeded" | "failed", "response"?: any, "reason"?: string }`, or any JSON (succeeded). */
const explicitAnswer = z.object({
  outcome: z.enum(['succeeded', 'failed']),
  response: z.json().optional(),
  reason: z.string().max(1000).optional(),
});

/**
 * Command delivery (docs/adr/0006): commands are consumed by one replica of the shared group and
 * stored; a NOTIFY at commit wakes every replica, and the one holding the device's session
 * delivers it (QoS 1). A device that is not connected gets its commands when it next subscribes,
 * until they expire. Outcomes (delivered, succeeded, failed, expired) leave through the outbox.
 */
@Injectable()
export class CommandService implements OnModuleInit {
  private readonly consumer: EventConsumer;
  private listener: PgClient | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(SERVICE_CONFIG) private readonly config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly commands: CommandRepository,
    private readonly mqtt: MqttServer,
    private readonly relay: OutboxRelay,
    private readonly metrics: ConnectivityMetrics,
  ) {
    this.consumer = new EventConsumer({
      kafka,
      groupId: 'urbis-connectivity.commands',
      logger: messagingLogger(logger),
      ...config.consumers,
      subscriptions: {
        'devices.command.requested.v1': async (events) => {
          for (const event of events) await this.commands.store(event, this.config.replicaId);
        },
      },
    });
  }

  onModuleInit(): void {
    this.mqtt.commandHooks = {
      subscribed: (identity) => this.deliverPending(identity),
      delivered: (identity, commandId) => this.background(this.delivered(identity, commandId)),
      responded: (identity, commandId, payload) => this.responded(identity, commandId, payload),
    };
    this.lifecycle.addWorker({
      name: 'commands',
      start: () => this.start(),
      stop: () => this.stop(),
      isRunning: () => this.running && this.consumer.isRunning() && this.listener !== undefined,
      notRunningBecause: () =>
        [
          !this.running && 'not started',
          !this.consumer.isRunning() && `commands consumer ${this.consumer.health().state}`,
          !this.listener && 'not listening for command notifications',
        ]
          .filter(Boolean)
          .join(', '),
    });
  }

  async start(): Promise<void> {
    await this.listen();
    await this.consumer.start();
    this.expiryTimer = setInterval(() => this.background(this.expire()), 1000);
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.expiryTimer);
    clearTimeout(this.reconnectTimer);
    await this.consumer.stop();
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  private async listen(): Promise<void> {
    const listener = new PgClient({ connectionString: this.config.database.url });
    listener.on('error', (error) => {
      if (this.listener !== listener) return;
      this.logger.error({ err: error }, 'command notification connection lost');
      this.listener = undefined;
      void listener.end().catch(() => undefined);
      this.reconnect(1_000);
    });
    try {
      await listener.connect();
      await listener.query(`LISTEN ${COMMANDS_CHANNEL}`);
    } catch (error) {
      await listener.end().catch(() => undefined);
      throw error;
    }
    listener.on('notification', (notification: Notification) => this.onNotification(notification));
    this.listener = listener;
  }

  /**
   * Listens again after the database connection was lost (a restart, a failover), then delivers
   * what was stored meanwhile for this replica's sessions: those NOTIFYs went to no one.
   */
  private reconnect(delayMs: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.running) return;
      this.listen()
        .then(async () => {
          this.logger.info('command notifications listened to again');
          for (const identity of await this.commands.devicesWithPending()) {
            if (this.mqtt.hasCommandSubscriber(identity)) this.deliverPending(identity);
          }
        })
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'command notifications: database not reachable yet');
          if (!this.listener) this.reconnect(Math.min(delayMs * 2, 15_000));
        });
    }, delayMs);
  }

  private onNotification(notification: Notification): void {
    const identity = parseDeviceIdentity(notification.payload);
    if (identity && this.mqtt.hasCommandSubscriber(identity)) this.deliverPending(identity);
  }

  private deliverPending(identity: DeviceIdentity): void {
    this.background(
      this.commands.pendingFor(identity.tenant, identity.deviceId).then((pending) => {
        for (const command of pending) {
          this.mqtt.deliverCommand(identity, command.commandId, {
            commandId: command.commandId,
            name: command.name,
            ...(command.params !== null && { params: command.params }),
            expiresAt: command.expiresAt.toISOString(),
          });
        }
      }),
    );
  }

  private async delivered(identity: DeviceIdentity, commandId: string): Promise<void> {
    if (await this.commands.delivered(identity.tenant, identity.deviceId, commandId, this.config.replicaId)) this.relay.nudge();
  }

  private async responded(identity: DeviceIdentity, commandId: string, payload: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.metrics.rejected('mqtt', 'invalid-payload');
      throw new CommandResponseRejected(`the response to ${commandId} is not JSON`);
    }
    const explicit = explicitAnswer.safeParse(body);
    const answer = explicit.success ? explicit.data : { outcome: 'succeeded' as const, response: z.json().parse(body), reason: undefined };
    const stored = await this.commands.responded(identity.tenant, identity.deviceId, commandId, answer, this.config.replicaId);
    if (!stored) {
      this.metrics.rejected('mqtt', 'invalid-payload');
      throw new CommandResponseRejected(`no open command ${commandId} for this device`);
    }
    this.relay.nudge();
  }

  private async expire(): Promise<void> {
    const expired = await this.commands.expire();
    if (expired > 0) {
      this.logger.info({ expired }, 'commands expired before delivery');
      this.relay.nudge();
    }
  }

  private background(work: Promise<unknown>): void {
    void work.catch((error: unknown) => this.logger.error({ err: error }, 'command handling failed'));
  }
}
