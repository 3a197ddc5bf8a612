// Shared pieces of connectivity's integration tests: a real database with the real migrations,
// the dev broker, the service booted in this process, the devices service's events produced with
// the typed publisher (they are the contract), and uplinks read back from Kafka.
import { createEvent, type EventOf, type PayloadOf, provisionedTopics, type TopicName } from '@urbis/contracts';
import { generateDeviceToken, hashDeviceToken } from '@urbis/device-credentials';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import { startServiceForTest, type RunningService } from '@urbis/runtime';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  type DevIdp,
  type DevKafka,
  startDevIdp,
  startDevKafka,
  type TestDatabase,
} from '@urbis/testing';
import type { Consumer, IHeaders, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { MqttServer } from '../mqtt/mqtt-server';

/** Cheap scrypt cost for test tokens: the format and the check are the real ones. */
export const TEST_SCRYPT_COST = { log2N: 10, r: 8, p: 1 };

/** Users of the test realm (src/__fixtures__/test-realm.json): tenant alpha unless named otherwise. */
export const USERS = {
  platformAdmin: { username: 'pia', password: 'pia-pw' },
  operator: { username: 'otto', password: 'otto-pw' },
  betaOperator: { username: 'olga', password: 'olga-pw' },
  integrator: { username: 'ines', password: 'ines-pw' },
} as const;

export interface Infrastructure {
  database: TestDatabase;
  kafka: DevKafka;
  idp?: DevIdp;
  /** A user's access token (needs `withIdp`). */
  token(user: { username: string; password: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function startInfrastructure(prefix: string, options: { withIdp?: boolean } = {}): Promise<Infrastructure> {
  const database = await createTestDatabase(prefix);
  await buildDevKafka();
  const [kafka, idp] = await Promise.all([
    startDevKafka({ topics: provisionedTopics(), brokers: 1, groupInitialRebalanceDelayMs: 50 }),
    options.withIdp ? startDevIdp({ realmFile: path.join(__dirname, '../__fixtures__/test-realm.json') }) : undefined,
    applyMigrations('connectivity', database.url),
  ]);
  return {
    database,
    kafka,
    idp,
    token: async (user) => {
      if (!idp) throw new Error('startInfrastructure({ withIdp: true }) to get tokens');
      return idp.passwordToken('test-app', 'test-app-secret', user.username, user.password);
    },
    stop: async () => {
      await idp?.stop();
      await kafka.stop();
      await database.drop();
    },
  };
}

export function serviceEnv(
  infra: { database: TestDatabase; kafka: DevKafka; idp?: DevIdp },
  extra: Record<string, string> = {},
) {
  return {
    ...(infra.idp && { OIDC_ISSUER_URL: infra.idp.issuer }),
    HOST: '127.0.0.1',
    DATABASE_URL: infra.database.url,
    KAFKA_BROKERS: infra.kafka.bootstrapServers.join(','),
    LOG_LEVEL: 'silent',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    REPLICA_ID: `test-${randomUUID().slice(0, 8)}`,
    ...extra,
  };
}

export interface TestService extends RunningService {
  mqttUrl: string;
}

export async function startConnectivity(env: Record<string, string>): Promise<TestService> {
  const service = await startServiceForTest(AppModule, configSchema, env);
  const mqtt = service.app.get(MqttServer);
  return { ...service, mqttUrl: `mqtt://127.0.0.1:${mqtt.port}` };
}

export interface TestDevice {
  tenant: string;
  deviceId: string;
  token: string;
  credentialId: string;
  /** `<tenant>/<deviceId>`: MQTT client id and username. */
  clientId: string;
  topic(suffix: string): string;
}

/** Plays the devices service: publishes registry snapshots and credential changes. */
export class DevicesServiceDouble {
  private readonly kafka: Kafka;
  private readonly publisher: EventPublisher;

  constructor(brokers: string[], private readonly databaseUrl: string) {
    this.kafka = createKafka({ clientId: `devices-double-${randomUUID().slice(0, 6)}`, brokers, logLevel: 'nothing' });
    this.publisher = new EventPublisher({ kafka: this.kafka });
  }

  async connect(): Promise<void> {
    await this.publisher.connect();
  }

  async disconnect(): Promise<void> {
    await this.publisher.disconnect();
  }

  async publish<T extends TopicName>(topic: T, tenant: string, payload: PayloadOf<T>): Promise<EventOf<T>> {
    const event = createEvent(topic, { tenant, source: 'devices', payload });
    await this.publisher.publish(topic, [event], { key: messageKeyOf(topic, event) });
    return event;
  }

  /** Registers a device with a fresh token and waits until connectivity's cache has both. */
  async register(
    tenant: string,
    options: Partial<PayloadOf<'devices.device.changed.v1'>> & { deviceId?: string } = {},
  ): Promise<TestDevice> {
    const deviceId = options.deviceId ?? `dev-${randomUUID().slice(0, 8)}`;
    const token = generateDeviceToken();
    const credentialId = randomUUID();
    await this.changeDevice(tenant, deviceId, options);
    await this.publish('devices.credentials.changed.v1', tenant, {
      deviceId,
      credentialId,
      change: 'issued',
      tokenHash: await hashDeviceToken(token, TEST_SCRYPT_COST),
      hashAlgorithm: 'scrypt',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: null,
    });
    await this.waitForRow('SELECT 1 FROM device_credential WHERE credential_id = $1', [credentialId]);
    const clientId = `${tenant}/${deviceId}`;
    return {
      tenant,
      deviceId,
      token,
      credentialId,
      clientId,
      topic: (suffix) => `urbis/${tenant}/devices/${deviceId}/${suffix}`,
    };
  }

  async changeDevice(
    tenant: string,
    deviceId: string,
    options: Partial<PayloadOf<'devices.device.changed.v1'>> = {},
  ): Promise<void> {
    const changedAt = new Date().toISOString();
    await this.publish('devices.device.changed.v1', tenant, {
      deviceId,
      profileId: 'air-quality',
      state: 'active',
      tags: [],
      deleted: false,
      changedAt,
      ...options,
    });
    await this.waitForRow('SELECT 1 FROM device WHERE tenant = $1 AND device_id = $2 AND changed_at >= $3', [
      tenant,
      deviceId,
      changedAt,
    ]);
  }

  async revoke(device: TestDevice): Promise<void> {
    await this.publish('devices.credentials.changed.v1', device.tenant, {
      deviceId: device.deviceId,
      credentialId: device.credentialId,
      change: 'revoked',
      tokenHash: 'scrypt$10$8$1$revokedrevokedrevoked$revokedrevokedrevokedrevokedrevokedrevoked',
      hashAlgorithm: 'scrypt',
      validFrom: new Date(Date.now() - 60_000).toISOString(),
      validUntil: new Date().toISOString(),
    });
    await this.waitForRow('SELECT 1 FROM device_credential WHERE credential_id = $1 AND revoked', [device.credentialId]);
  }

  private async waitForRow(sql: string, params: unknown[], timeoutMs = 20_000): Promise<void> {
    await eventually(async () => {
      const client = new Client({ connectionString: this.databaseUrl });
      await client.connect();
      try {
        return (await client.query(sql, params)).rowCount === 1;
      } finally {
        await client.end();
      }
    }, timeoutMs);
  }
}

export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface ReadEvent<T extends TopicName> {
  event: EventOf<T>;
  key: string | null;
  headers: IHeaders;
}

/** Collects every event of a topic from the beginning, as a consumer of it would see them. */
export class TopicReader<T extends TopicName> {
  readonly events: ReadEvent<T>[] = [];
  private readonly consumer: Consumer;

  constructor(brokers: string[], private readonly topic: T) {
    const kafka = createKafka({ clientId: `reader-${randomUUID().slice(0, 6)}`, brokers, logLevel: 'nothing' });
    this.consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.events.push({
          event: JSON.parse(message.value?.toString('utf8') ?? 'null') as EventOf<T>,
          key: message.key?.toString('utf8') ?? null,
          headers: message.headers ?? {},
        });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  matching(predicate: (event: EventOf<T>) => boolean): ReadEvent<T>[] {
    return this.events.filter((read) => predicate(read.event));
  }

  async waitFor(predicate: (event: EventOf<T>) => boolean, count = 1, timeoutMs = 20_000): Promise<ReadEvent<T>[]> {
    await eventually(() => this.matching(predicate).length >= count, timeoutMs);
    return this.matching(predicate);
  }
}

/** The value of one Prometheus series in /metrics text, 0 when absent. */
export async function metricValue(serviceUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((label) => line.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
