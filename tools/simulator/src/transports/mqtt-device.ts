import mqtt, { type MqttClient, Store } from 'mqtt';
import type { CommandAnswer, JsonValue } from '../kinds';
import type { LoginGate } from './login-gate';

/** A command as connectivity delivers it on `urbis/<tenant>/devices/<id>/commands/<commandId>`. */
export interface DeliveredCommand {
  commandId: string;
  name: string;
  params?: JsonValue;
  expiresAt?: string;
}

export interface MqttDeviceOptions {
  url: string;
  tenant: string;
  deviceId: string;
  token: string;
  gate: LoginGate;
  /** Devices that take commands subscribe to them and answer each once. */
  onCommand?: (command: DeliveredCommand) => Promise<CommandAnswer>;
  /** Called once a command's answer is out. */
  onAnswered?: (command: DeliveredCommand, answer: CommandAnswer) => void;
  /** Called on every (re)connection, e.g. to report the twin. */
  onConnect?: () => void;
  log?: (line: string) => void;
}

/** CONNACK return codes that mean "not with these credentials" (MQTT 3.1.1). */
const REFUSED = new Set([4, 5]);

/**
 * One device's MQTT session with connectivity: QoS 1 uplinks (acknowledged once Kafka has
 * them), commands and twin reports. It reconnects by itself, through the login gate; readings
 * published while it is away wait in the client's store and go out on reconnection.
 */
export class MqttDevice {
  private readonly client: MqttClient;
  private readonly topic: string;
  private readonly answered = new Set<string>();
  private stopping = false;
  private connecting: Promise<void> | undefined;
  private firstConnection: { resolve: () => void; promise: Promise<void> };
  /** How many times the server refused this device's credentials (for the stats). */
  refusals = 0;

  constructor(private readonly options: MqttDeviceOptions) {
    const login = `${options.tenant}/${options.deviceId}`;
    this.topic = `urbis/${options.tenant}/devices/${options.deviceId}`;
    this.client = mqtt.connect(options.url, {
      clientId: login,
      username: login,
      password: options.token,
      protocolVersion: 4,
      manualConnect: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
      // One store for the session's life: readings in flight survive a reconnection.
      incomingStore: new Store(),
      outgoingStore: new Store(),
    });
    let resolve = () => undefined as void;
    const promise = new Promise<void>((done) => (resolve = done));
    this.firstConnection = { resolve, promise };
    this.client.on('message', (topic, payload) => void this.onMessage(topic, payload));
    this.client.on('close', () => {
      if (!this.stopping) void this.connect();
    });
    // Errors are reported through the connect loop; an unhandled 'error' would crash the process.
    this.client.on('error', () => undefined);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Resolves once the device is connected for the first time. */
  start(): Promise<void> {
    void this.connect();
    return this.firstConnection.promise;
  }

  private connect(): Promise<void> {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    let delayMs = 500;
    let first = true;
    while (!this.stopping) {
      if (!first) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 15_000);
      }
      first = false;
      let release: Awaited<ReturnType<LoginGate['enter']>>;
      try {
        release = await this.options.gate.enter();
      } catch {
        return; // the district is stopping
      }
      const outcome = await this.attempt();
      release(outcome);
      if (outcome === 'accepted') {
        this.options.onConnect?.();
        this.firstConnection.resolve();
        return;
      }
      if (outcome === 'refused') {
        this.refusals++;
        // Credentials may still be on their way to connectivity; give it time.
        delayMs = Math.max(delayMs, 5_000);
      }
    }
  }

  private attempt(): Promise<'accepted' | 'refused' | 'unreachable'> {
    return new Promise((resolve) => {
      const onConnect = () => {
        cleanup();
        const subscribe = this.options.onCommand
          ? this.client.subscribeAsync(`${this.topic}/commands/+`, { qos: 1 }).then(() => undefined)
          : Promise.resolve();
        subscribe.then(
          () => resolve('accepted'),
          () => resolve('unreachable'),
        );
      };
      const onError = (error: Error & { code?: number | string }) => {
        cleanup();
        resolve(typeof error.code === 'number' && REFUSED.has(error.code) ? 'refused' : 'unreachable');
      };
      const onClose = () => {
        cleanup();
        resolve('unreachable');
      };
      const cleanup = () => {
        this.client.off('connect', onConnect).off('error', onError).off('close', onClose);
      };
      this.client.once('connect', onConnect).once('error', onError).once('close', onClose);
      this.client.connect();
    });
  }

  /** Publishes a reading at QoS 1; resolves on PUBACK (connectivity acknowledges after Kafka). */
  publishReading(payload: Buffer): Promise<void> {
    return this.publish(`${this.topic}/up`, payload);
  }

  reportTwin(state: Record<string, JsonValue>): Promise<void> {
    return this.publish(`${this.topic}/twin/reported`, Buffer.from(JSON.stringify({ state })));
  }

  private publish(topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.publish(topic, payload, { qos: 1 }, (error) => (error ? reject(error) : resolve())),
    );
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const prefix = `${this.topic}/commands/`;
    if (!topic.startsWith(prefix) || !this.options.onCommand) return;
    const commandId = topic.slice(prefix.length);
    // QoS 1 may deliver a command twice; connectivity closes a session that answers a closed one.
    if (this.answered.has(commandId)) return;
    this.answered.add(commandId);
    let command: DeliveredCommand;
    try {
      command = { ...(JSON.parse(payload.toString('utf8')) as Omit<DeliveredCommand, 'commandId'>), commandId };
    } catch {
      await this.publish(`${prefix}${commandId}/response`, Buffer.from(JSON.stringify({ outcome: 'failed', reason: 'the command is not JSON' })));
      return;
    }
    const answer = await this.options.onCommand(command);
    try {
      await this.publish(`${prefix}${commandId}/response`, Buffer.from(JSON.stringify(answer)));
    } catch (error) {
      this.options.log?.(`${this.options.deviceId}: could not answer command ${commandId}: ${String(error)}`);
      return;
    }
    this.options.onAnswered?.(command, answer);
  }

  /** Disconnects; readings not yet acknowledged are given `graceMs` to be. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (!this.client.connected) {
      await this.client.endAsync(true);
      return;
    }
    const timer = setTimeout(() => this.client.end(true), graceMs);
    await this.client.endAsync(false).catch(() => undefined);
    clearTimeout(timer);
  }
}
