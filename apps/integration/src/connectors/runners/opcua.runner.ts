import type { ClientSession, ClientSubscription, DataValue, OPCUAClient } from 'node-opcua';
import type { z } from 'zod';
import type { opcuaConfig } from '../connector.dto';
import { Backoff, type ConnectorRunner, type RunnerContext, Sleeper } from './runner';

type Config = z.output<typeof opcuaConfig>;
type Opcua = typeof import('node-opcua');

let opcuaModule: Promise<Opcua> | undefined;
/** node-opcua is large: it is loaded when the first OPC UA connector starts, not at boot. */
const loadOpcua = () => (opcuaModule ??= import('node-opcua'));

type CertificateManager = InstanceType<Opcua['OPCUACertificateManager']>;
let certificates: { rootFolder: string; manager: CertificateManager } | undefined;

/**
 * One client certificate store for the process: a certificate manager watches its folders, so
 * one per connection would leak watchers on every reconnect.
 */
async function certificateManager(rootFolder: string): Promise<CertificateManager> {
  const opcua = await loadOpcua();
  if (!certificates || certificates.rootFolder !== rootFolder) {
    certificates = { rootFolder, manager: new opcua.OPCUACertificateManager({ rootFolder }) };
  }
  return certificates.manager;
}

/** Releases the certificate store (its folder watchers); the supervisor calls it when it stops. */
export async function releaseOpcua(): Promise<void> {
  const current = certificates;
  certificates = undefined;
  await current?.manager.dispose();
}

/**
 * An OPC UA subscription: one session, one subscription, a monitored item per node id; every
 * data change is a reading. When the connection is lost (server restart, network), everything
 * is torn down and built again with backoff, so a restarted server gets a fresh session and
 * subscription instead of a half-restored one. Pausing disables publishing on the server.
 */
export class OpcuaRunner implements ConnectorRunner {
  private stopped = false;
  private paused = false;
  private loop?: Promise<void>;
  private client?: OPCUAClient;
  private subscription?: ClientSubscription;
  private readonly sleeper = new Sleeper();
  private readonly backoff: Backoff;
  private lost?: () => void;
  private connectedBefore = false;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly config: Config,
    private readonly pkiDir: string,
  ) {
    this.backoff = new Backoff(ctx.reconnect);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    this.lost?.();
    await this.loop;
    this.ctx.report.set('stopped');
  }

  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    this.ctx.report.set(paused ? 'paused' : 'running');
    await this.subscription?.setPublishingMode(!paused).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const gone = await this.connect();
        this.backoff.reset();
        this.ctx.report.set(this.paused ? 'paused' : 'running');
        const reason = await gone;
        if (!this.stopped)
          this.ctx.report.fail(new Error(`OPC UA connection to ${this.config.endpointUrl} lost: ${reason}`));
      } catch (error) {
        if (!this.stopped) this.ctx.report.fail(error);
      } finally {
        await this.teardown();
      }
      if (!this.stopped) await this.sleeper.sleep(this.backoff.next());
    }
  }

  /** Connects and subscribes; resolves to a promise of why the connection ended. */
  private async connect(): Promise<Promise<string>> {
    const opcua = await loadOpcua();
    const url = new URL(this.config.endpointUrl);
    const checked = await this.ctx.guard.check(this.ctx.tenant, url.hostname);
    const host = checked.family === 6 ? `[${checked.address}]` : checked.address;
    const endpoint = `opc.tcp://${host}:${url.port || '4840'}${url.pathname === '/' ? '' : url.pathname}`;
    const client = opcua.OPCUAClient.create({
      applicationName: 'Urbis integration',
      endpointMustExist: false,
      securityMode: opcua.MessageSecurityMode[this.config.securityMode],
      securityPolicy: opcua.SecurityPolicy[this.config.securityPolicy],
      // The runner reconnects itself, so the client gives up at once instead of retrying alone.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      clientCertificateManager: await certificateManager(this.pkiDir),
    });
    this.client = client;
    await client.connect(endpoint);
    if (this.connectedBefore) this.ctx.report.reconnects++;
    this.connectedBefore = true;
    // Listened to only once connected: fetching the server's endpoints opens and drops a channel.
    const gone = new Promise<string>((resolve) => {
      this.lost = () => resolve('stopped');
      client.once('connection_lost', () => resolve('connection lost'));
      client.once('close', (error?: Error | null) => resolve(error?.message ?? 'closed'));
    });
    const session: ClientSession = await client.createSession(
      this.config.userName
        ? {
            type: opcua.UserTokenType.UserName,
            userName: this.config.userName,
            password: this.config.password ?? '',
          }
        : undefined,
    );
    session.on('keepalive_failure', () => this.lost?.());
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: this.config.publishingIntervalMs,
      requestedLifetimeCount: 100,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: !this.paused,
      priority: 10,
    });
    this.subscription = subscription;
    for (const node of this.config.nodes) {
      const item = await subscription.monitor(
        { nodeId: node.nodeId, attributeId: opcua.AttributeIds.Value },
        { samplingInterval: node.samplingIntervalMs, discardOldest: true, queueSize: 100 },
        opcua.TimestampsToReturn.Both,
      );
      const status = item.statusCode;
      if (status && status.isNotGood()) throw new Error(`cannot monitor ${node.nodeId}: ${status.name}`);
      item.on('changed', (value: DataValue) => {
        // A client being torn down may still deliver: only the current one counts.
        if (this.client === client) void this.changed(opcua, node, value);
      });
    }
    return gone;
  }

  private async changed(opcua: Opcua, node: Config['nodes'][number], value: DataValue): Promise<void> {
    if (this.paused || this.stopped) return;
    const receivedAt = new Date();
    await this.ctx.emit(
      {
        nodeId: node.nodeId,
        name: node.name ?? node.nodeId,
        value: toJson(value.value.value),
        dataType: opcua.DataType[value.value.dataType],
        statusCode: value.statusCode.name,
        sourceTimestamp: value.sourceTimestamp?.toISOString(),
        serverTimestamp: value.serverTimestamp?.toISOString(),
        receivedAt: receivedAt.toISOString(),
        connector: { id: this.ctx.connectorId, name: this.ctx.name },
      },
      receivedAt,
    );
  }

  private async teardown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.subscription = undefined;
    this.lost = undefined;
    if (!client) return;
    // Disconnecting from a server that is gone can wait a long time: give it a moment, then drop it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.disconnect().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 2000))),
    ]);
    clearTimeout(timer);
  }
}

/** OPC UA values as JSON: typed arrays as arrays, 64-bit integers as numbers, dates as strings. */
function toJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) {
    // node-opcua's Int64/UInt64: [high, low]
    return value.map(toJson);
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object') return JSON.parse(JSON.stringify(value)) as unknown;
  return value;
}
