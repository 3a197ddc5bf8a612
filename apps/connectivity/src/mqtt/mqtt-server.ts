import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { type Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER, ServiceLifecycle } from '@urbis/runtime';
import Aedes, {
  type AuthenticateError,
  type AuthErrorCode,
  type Client,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ConnectivityConfig } from '../config';
import { LimitsService } from '../limits/limits.service';
import { ConnectivityMetrics, type RejectionReason } from '../metrics/connectivity-metrics';
import { DeviceAuthenticator, isAccepting } from '../registry/device-authenticator';
import { type RegistryChange, RegistryChanges } from '../registry/registry-changes';
import { type RegisteredDevice, RegistryRepository } from '../registry/registry.repository';
import { DeviceStatusService } from '../status/device-status.service';
import { UplinkService } from '../uplinks/uplink.service';
import {
  classifyPublication,
  commandTopic,
  type DeviceIdentity,
  type DevicePublication,
  devicePrefix,
  isCommandDownTopic,
  maySubscribe,
  parseDeviceIdentity,
} from './device-topics';
import { parseTwinReport } from './twin-report';

/** A connected device. */
export interface MqttSession {
  identity: DeviceIdentity;
  device: RegisteredDevice;
  /** The credential whose token opened the session (its revocation closes it). */
  credentialId: string;
  connectedAt: Date;
  /** `urbis/<tenant>/devices/<id>/up`, made once: what nearly every publish is checked against. */
  uplinkTopic: string;
}

const UPLINK: DevicePublication = { kind: 'uplink' };

/** What the command feature plugs into the server (it depends on the server, not the other way round). */
export interface CommandHooks {
  /** The device subscribed to its commands: deliver what is waiting for it. */
  subscribed(identity: DeviceIdentity): void;
  /**
   * The command was written to the device's live session (QoS 1). aedes does not report the
   * device's PUBACK of a clean session's message, so this is the delivery the server can vouch
   * for; the device's answer on `.../response` is the end-to-end confirmation.
   */
  delivered(identity: DeviceIdentity, commandId: string): void;
  /** The device answered a command; resolves once the answer is stored (then the PUBACK goes out). */
  responded(identity: DeviceIdentity, commandId: string, payload: Buffer): Promise<void>;
}

/** A refusal the server decided on (as opposed to a broken connection): counted once, where decided. */
class MqttRejection extends Error {
  constructor(readonly reason: RejectionReason, detail: string) {
    super(`${reason}: ${detail}`);
    this.name = 'MqttRejection';
  }
}

const BAD_USERNAME_OR_PASSWORD = 4 as AuthErrorCode;
const NOT_AUTHORIZED = 5 as AuthErrorCode;

function connectRefusal(reason: RejectionReason, returnCode: AuthErrorCode): AuthenticateError {
  return Object.assign(new MqttRejection(reason, 'connection refused'), { returnCode });
}

/**
 * The MQTT 3.1.1 server devices connect to (aedes on a TCP listener, and on a TLS one when
 * configured: the same broker, sessions and checks behind both), run as a worker of the
 * service lifecycle: it listens once the service is up, counts in readiness, and on shutdown
 * stops accepting connections and publishes, lets the uplinks in flight reach Kafka, then closes.
 *
 * A QoS 1 PUBACK is written by aedes only after `authorizePublish` answered, and that answer
 * waits for Kafka's acknowledgement of the uplink: what a device saw acknowledged is in Kafka.
 */
@Injectable()
export class MqttServer implements OnModuleInit {
  private readonly broker: Aedes;
  private readonly server: Server;
  /** MQTT over TLS, made at start from the certificate files (so a bad key fails the start, not the boot). */
  private tlsServer: Server | undefined;
  private readonly sessions = new WeakMap<Client, MqttSession>();
  private readonly timedOut = new WeakSet<Client>();
  /** Connected clients, by `<tenant>/<deviceId>`. */
  private readonly clients = new Map<string, Client>();
  /** Clients subscribed to their commands, by `<tenant>/<deviceId>`. */
  private readonly commandSubscribers = new Map<string, Client>();
  commandHooks: CommandHooks | undefined;
  private listening = false;
  private stopping = false;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ConnectivityConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly lifecycle: ServiceLifecycle,
    private readonly authenticator: DeviceAuthenticator,
    private readonly uplinks: UplinkService,
    private readonly metrics: ConnectivityMetrics,
    private readonly status: DeviceStatusService,
    private readonly limits: LimitsService,
    private readonly registry: RegistryRepository,
    private readonly registryChanges: RegistryChanges,
  ) {
    this.broker = new Aedes({
      id: `connectivity-${config.replicaId}`,
      connectTimeout: config.mqtt.connectTimeoutMs,
      preConnect: (client, _packet, done) => {
        const address = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
        const exceeded = this.limits.checkConnectAttempt(address);
        if (!exceeded) return done(null, true);
        this.logger.warn({ address, reason: exceeded.reason }, 'MQTT connection refused before CONNACK');
        done(new MqttRejection(exceeded.reason, exceeded.detail), false);
      },
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          () => done(null, true),
          (error: AuthenticateError) => done(error, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the server's own publishes (commands down)
        this.authorizePublish(client, packet).then(
          () => done(null),
          (error: Error) => done(error),
        );
      },
      authorizeSubscribe: (client, subscription, done) => done(null, this.authorizeSubscribe(client, subscription)),
      authorizeForward: (_client, packet) => (isCommandDownTopic(packet.topic) ? packet : null),
    });
    this.broker.on('clientReady', (client) => {
      const session = this.sessions.get(client);
      if (!session) return;
      const address = (client.conn as Partial<Socket>).remoteAddress ?? null;
      this.clients.set(identityKey(session.identity), client);
      this.status.sessionOpened(session.identity.tenant, session.identity.deviceId, session.connectedAt, address);
    });
    this.broker.on('keepaliveTimeout', (client) => this.timedOut.add(client));
    this.broker.on('subscribe', (subscriptions, client) => {
      const session = this.sessions.get(client);
      if (!session || !subscriptions.some((subscription) => maySubscribe(session.identity, subscription.topic))) return;
      this.commandSubscribers.set(identityKey(session.identity), client);
      this.commandHooks?.subscribed(session.identity);
    });
    this.broker.on('clientDisconnect', (client) => {
      const session = this.sessions.get(client);
      if (!session) return;
      this.sessions.delete(client);
      const key = identityKey(session.identity);
      if (this.clients.get(key) === client) this.clients.delete(key);
      if (this.commandSubscribers.get(key) === client) this.commandSubscribers.delete(key);
      this.limits.releaseSession(session.identity.tenant);
      const reason = this.timedOut.has(client) ? 'keepalive-timeout' : 'disconnected';
      this.status.sessionClosed(session.identity.tenant, session.identity.deviceId, session.connectedAt, reason);
    });
    this.broker.on('clientError', (client, error) => this.onClientError(client, error));
    this.broker.on('connectionError', (client, error) => this.onClientError(client, error));
    this.server = createServer((socket) => this.broker.handle(socket));
    this.metrics.sessions = () => this.broker.connectedClients;
  }

  onModuleInit(): void {
    this.registryChanges.subscribe((change) => void this.onRegistryChange(change));
    this.lifecycle.addWorker({
      name: 'mqtt-server',
      start: () => this.start(),
      stop: () => this.stop(),
      isRunning: () => this.listening && !this.stopping,
    });
  }

  /** The port it listens on (useful with MQTT_PORT=0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The TLS listener's port, when there is one. */
  get tlsPort(): number | undefined {
    return this.tlsServer && (this.tlsServer.address() as AddressInfo).port;
  }

  get sessionCount(): number {
    return this.broker.connectedClients;
  }

  /** Whether this replica holds the device's session, subscribed to its commands. */
  hasCommandSubscriber(identity: DeviceIdentity): boolean {
    return this.commandSubscribers.has(identityKey(identity));
  }

  /** Publishes a command to the device (QoS 1); false when it is not subscribed here. */
  deliverCommand(identity: DeviceIdentity, commandId: string, body: object): boolean {
    const client = this.commandSubscribers.get(identityKey(identity));
    if (!client) return false;
    client.publish(
      { cmd: 'publish', topic: commandTopic(identity, commandId), payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false },
      (error) => {
        if (error) this.logger.warn({ err: error, commandId }, 'command not written to the session');
        else this.commandHooks?.delivered(identity, commandId);
      },
    );
    return true;
  }

  async start(): Promise<void> {
    const { host, port, tls } = this.config.mqtt;
    await listen(this.server, port, host);
    if (tls) {
      this.tlsServer = createTlsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (socket) =>
        this.broker.handle(socket),
      );
      // A client that fails the handshake never reaches aedes: counted here.
      this.tlsServer.on('tlsClientError', () => this.metrics.rejected('mqtt', 'tls-handshake'));
      await listen(this.tlsServer, tls.port, host);
    }
    this.listening = true;
    this.logger.info({ host, port: this.port, tlsPort: this.tlsPort }, 'MQTT server listening');
  }

  /** Stop accepting, let accepted uplinks reach Kafka (their PUBACKs go out), then close every session. */
  async stop(): Promise<void> {
    if (!this.listening || this.stopping) return;
    this.stopping = true;
    const closed = Promise.all(
      [this.server, this.tlsServer].map((server) => server && new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    await this.uplinks.drain();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await closed;
    await this.status.settled();
    this.listening = false;
    this.logger.info('MQTT server closed');
  }

  /** A live session follows its device's registry record: new limits apply, a suspension or a revoked token closes it. */
  private async onRegistryChange(change: RegistryChange): Promise<void> {
    const client = this.clients.get(identityKey(change));
    const session = client && this.sessions.get(client);
    if (!client || !session) return;
    if (change.kind === 'credential-revoked') {
      if (change.credentialId === session.credentialId) this.closeSession(client, 'bad-token', 'its credential was revoked');
      return;
    }
    try {
      const device = await this.registry.findDevice(change.tenant, change.deviceId);
      if (!device || !isAccepting(device)) return this.closeSession(client, 'device-not-active', device ? `the device is ${device.state}` : 'the device was deleted');
      session.device = device;
    } catch (error) {
      this.logger.warn({ err: error, device: client.id }, 'registry change not applied to the live session');
    }
  }

  private closeSession(client: Client, reason: RejectionReason, detail: string): void {
    this.metrics.rejected('mqtt', reason);
    this.logger.info({ device: client.id, reason: detail }, 'MQTT session closed by a registry change');
    client.close();
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    if (this.stopping) throw connectRefusal('broker-unavailable', 3 as AuthErrorCode);
    const identity = parseDeviceIdentity(username);
    if (!identity) throw this.refuse('bad-username', BAD_USERNAME_OR_PASSWORD);
    if (client.id !== username) throw this.refuse('bad-client-id', 2 as AuthErrorCode);
    const outcome = await this.authenticator.authenticate(identity.tenant, identity.deviceId, password?.toString('utf8') ?? '');
    if (!outcome.ok) {
      const notAuthorized = outcome.reason === 'device-not-active' || outcome.reason === 'too-many-failures';
      this.logger.info({ device: username, reason: outcome.reason }, 'MQTT connection refused');
      this.limits.auditRefusal('mqtt', identity.tenant, identity.deviceId, outcome.reason, (client.conn as Partial<Socket>).remoteAddress);
      throw this.refuse(outcome.reason, notAuthorized ? NOT_AUTHORIZED : BAD_USERNAME_OR_PASSWORD);
    }
    const overQuota = this.limits.acquireSession(outcome.device);
    if (overQuota) {
      this.logger.warn({ device: username, detail: overQuota.detail }, 'MQTT connection refused: tenant session quota');
      throw connectRefusal(overQuota.reason, 3 as AuthErrorCode);
    }
    this.sessions.set(client, {
      identity,
      device: outcome.device,
      credentialId: outcome.credentialId,
      connectedAt: new Date(),
      uplinkTopic: `${devicePrefix(identity)}/up`,
    });
  }

  private refuse(reason: RejectionReason, returnCode: AuthErrorCode): AuthenticateError {
    this.metrics.rejected('mqtt', reason);
    return connectRefusal(reason, returnCode);
  }

  private async authorizePublish(client: Client, packet: PublishPacket): Promise<void> {
    const receivedAt = new Date();
    const session = this.sessions.get(client);
    if (!session || this.stopping) throw this.reject('broker-unavailable', packet.topic);
    const publication = packet.topic === session.uplinkTopic ? UPLINK : classifyPublication(session.identity, packet.topic);
    if (!publication) throw this.reject('topic-not-allowed', packet.topic);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (!isAccepting(session.device)) throw this.reject('device-not-active', session.device.state);
    const exceeded = this.limits.checkMessage('mqtt', session.device, payload.length);
    // MQTT 3.1.1 has no negative PUBACK: the session is closed, and the device retries later.
    if (exceeded) throw new MqttRejection(exceeded.reason, exceeded.detail);
    // Device messages are never retained or routed to other clients (authorizeForward).
    packet.retain = false;
    if (publication.kind === 'command-response') {
      if (!this.commandHooks) throw this.reject('topic-not-allowed', packet.topic);
      try {
        await this.commandHooks.responded(session.identity, publication.commandId, payload);
      } catch (error) {
        if (error instanceof MqttRejection) throw error;
        this.logger.warn({ err: error, device: client.id }, 'command response not stored; no PUBACK, closing the session');
        throw this.reject('broker-unavailable', 'command response not stored');
      }
      return;
    }
    const { tenant, deviceId } = session.identity;
    const at = receivedAt.toISOString();
    let accepted: Promise<string>;
    if (publication.kind === 'twin-reported') {
      const report = parseTwinReport(payload);
      if (!report.ok) throw this.reject('invalid-payload', report.reason);
      accepted = this.uplinks.reportTwin(tenant, { deviceId, transport: 'mqtt', receivedAt: at, mqttTopic: packet.topic, state: report.state });
    } else {
      accepted = this.uplinks.publish(tenant, { deviceId, transport: 'mqtt', receivedAt: at, mqttTopic: packet.topic, payload: payload.toString('base64') });
    }
    try {
      await accepted;
      this.status.seen(tenant, deviceId, 'mqtt', receivedAt);
    } catch (error) {
      this.logger.warn({ err: error, device: client.id }, 'message not accepted by Kafka; no PUBACK, closing the session');
      throw this.reject('broker-unavailable', 'Kafka did not acknowledge the message');
    }
  }

  private authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const session = this.sessions.get(client);
    if (session && maySubscribe(session.identity, subscription.topic)) return subscription;
    this.metrics.rejected('mqtt', 'subscription-not-allowed');
    this.logger.info({ device: client.id, filter: subscription.topic }, 'MQTT subscription refused');
    return null; // SUBACK 0x80 for this filter; the session stays up
  }

  private reject(reason: RejectionReason, detail: string): MqttRejection {
    this.metrics.rejected('mqtt', reason);
    return new MqttRejection(reason, detail);
  }

  private onClientError(client: Client, error: Error): void {
    if (error instanceof MqttRejection) {
      this.logger.info({ device: client.id, reason: error.message }, 'MQTT publish refused; session closed');
      return;
    }
    if (/keep alive timeout|connect did not arrive/.test(error.message)) {
      this.logger.info({ device: client.id, reason: error.message }, 'MQTT session timed out');
      return;
    }
    if (/ECONNRESET|EPIPE|write after end/.test(error.message)) return;
    this.metrics.rejected('mqtt', 'malformed-packet');
    this.logger.info({ device: client.id, err: error.message }, 'MQTT protocol error; session closed');
  }
}

const identityKey = (identity: DeviceIdentity): string => `${identity.tenant}/${identity.deviceId}`;

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Thrown by command hooks for a response the server refuses (unknown command, not JSON). */
export class CommandResponseRejected extends MqttRejection {
  constructor(detail: string) {
    super('invalid-payload', detail);
  }
}
