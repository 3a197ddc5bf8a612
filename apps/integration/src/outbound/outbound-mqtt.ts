import { Injectable } from '@nestjs/common';
import { connectAsync, type MqttClient } from 'mqtt';
import { DestinationGuard } from './destination-guard';
import { OutboundError } from './outbound-error';

export interface MqttPublication {
  tenant: string;
  /** mqtt[s]://[user[:password]@]host[:port]/topic[/subtopic...] (NGSI-LD's MQTT endpoint). */
  uri: string;
  payload: string;
  qos: 0 | 1 | 2;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5.0 (receiverInfo MQTT-Version). */
  protocolVersion: 4 | 5;
  timeoutMs: number;
}

const IDLE_CLOSE_MS = 60_000;

interface PooledClient {
  client: Promise<MqttClient>;
  lastUsed: number;
}

/**
 * Publishes to the MQTT brokers of NGSI-LD MQTT subscriptions. One connection per tenant and
 * broker (and credentials), opened to the address the destination guard checked, kept while in
 * use and closed when idle or broken; with QoS ≥ 1 a publication counts only once the broker
 * acknowledged it.
 */
@Injectable()
export class OutboundMqtt {
  private readonly pool = new Map<string, PooledClient>();
  private readonly sweeper = setInterval(() => this.closeIdle(), IDLE_CLOSE_MS).unref();

  constructor(private readonly guard: DestinationGuard) {}

  async publish(publication: MqttPublication): Promise<void> {
    const url = parseMqttUri(publication.uri);
    const key = `${publication.tenant}|${url.protocol}//${url.username}:${url.password}@${url.host}|${publication.protocolVersion}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      pooled = { client: this.connect(publication, url), lastUsed: Date.now() };
      this.pool.set(key, pooled);
      pooled.client.catch(() => this.pool.delete(key));
    }
    pooled.lastUsed = Date.now();
    const client = await pooled.client;
    const topic = decodeURIComponent(url.pathname.replace(/^\//, ''));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topic, publication.payload, { qos: publication.qos }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new OutboundError('timeout', `no PUBACK within ${publication.timeoutMs} ms`)),
            publication.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.pool.delete(key);
      client.end(true);
      throw error instanceof OutboundError
        ? error
        : new OutboundError('network', `MQTT publish failed: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const clients = [...this.pool.values()];
    this.pool.clear();
    await Promise.allSettled(clients.map(async (pooled) => (await pooled.client).endAsync(true)));
  }

  private async connect(publication: MqttPublication, url: URL): Promise<MqttClient> {
    const checked = await this.guard.check(publication.tenant, url.hostname);
    const secure = url.protocol === 'mqtts:';
    try {
      const host = checked.family === 6 ? `[${checked.address}]` : checked.address;
      const port = url.port ? Number(url.port) : secure ? 8883 : 1883;
      const client = await connectAsync(
        `${secure ? 'mqtts' : 'mqtt'}://${host}:${port}`,
        {
          ...(secure && { servername: checked.host }),
          ...(url.username && { username: decodeURIComponent(url.username) }),
          ...(url.password && { password: decodeURIComponent(url.password) }),
          protocolVersion: publication.protocolVersion,
          connectTimeout: publication.timeoutMs,
          reconnectPeriod: 0,
          clean: true,
        },
        false,
      );
      client.on('close', () => {
        for (const [key, pooled] of this.pool) {
          void pooled.client.then(
            (c) => c === client && this.pool.delete(key),
            () => undefined,
          );
        }
      });
      client.on('error', () => client.end(true));
      return client;
    } catch (error) {
      throw new OutboundError(
        'network',
        `MQTT connection to ${url.host} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [key, pooled] of this.pool) {
      if (now - pooled.lastUsed < IDLE_CLOSE_MS) continue;
      this.pool.delete(key);
      void pooled.client.then(
        (client) => client.endAsync(),
        () => undefined,
      );
    }
  }
}

export function parseMqttUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new OutboundError('invalid', `not a URI: ${uri}`);
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') {
    throw new OutboundError('invalid', `not an MQTT endpoint: ${url.protocol}`);
  }
  if (url.pathname.replace(/^\//, '') === '') throw new OutboundError('invalid', `no topic in ${uri}`);
  return url;
}
