// Shared pieces of connectivity's integration tests: a real database with the real migrations,
// the dev broker, the service booted in this process, and the devices service's events produced
// with the typed publisher (they are the contract). Readers, waits, metrics and MQTT clients come
// from @urbis/testing.
import { createEvent, type EventOf, type PayloadOf, provisionedTopics, type TopicName } from '@urbis/contracts';
import { generateDeviceToken, hashDeviceToken } from '@urbis/device-credentials';
import { createKafka, EventPublisher, messageKeyOf } from '@urbis/messaging';
import { startServiceForTest, type RunningService } from '@urbis/runtime';
import {
  applyMigrations,
  buildDevKafka,
  createTestDatabase,
  type DevIdp,
  EventReader,
  eventually,
  type DevKafka,
  startDevIdp,
  startDevKafka,
  type TestDatabase,
} from '@urbis/testing';
import type { Kafka } from 'kafkajs';
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
    // The dev broker rebalances a shared group only after its members' session timeout.
    CONSUMER_SESSION_TIMEOUT_MS: '3000',
    ...extra,
  };
}

export interface TestService extends RunningService {
  mqttUrl: string;
  /** `mqtts://127.0.0.1:<port>` when the service was started with MQTT_TLS_PORT. */
  mqttsUrl?: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 (test fixture; its key protects nothing). */
export const TLS_FIXTURE = {
  certFile: path.join(__dirname, '../__fixtures__/mqtt-tls.test-cert.pem'),
  keyFile: path.join(__dirname, '../__fixtures__/mqtt-tls.test-key.pem'),
};

export async function startConnectivity(env: Record<string, string>): Promise<TestService> {
  const service = await startServiceForTest(AppModule, configSchema, env);
  const mqtt = service.app.get(MqttServer);
  const { tlsPort } = mqtt;
  return { ...service, mqttUrl: `mqtt://127.0.0.1:${mqtt.port}`, ...(tlsPort !== undefined && { mqttsUrl: `mqtts://127.0.0.1:${tlsPort}` }) };
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
    // Both events at once, then wait for both rows: the registry consumer takes them in one poll.
    const changedAt = await this.publishDevice(tenant, deviceId, options);
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
    await this.waitForDevice(tenant, deviceId, changedAt);
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
    await this.waitForDevice(tenant, deviceId, await this.publishDevice(tenant, deviceId, options));
  }

  private async publishDevice(
    tenant: string,
    deviceId: string,
    options: Partial<PayloadOf<'devices.device.changed.v1'>>,
  ): Promise<string> {
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
    return changedAt;
  }

  private waitForDevice(tenant: string, deviceId: string, changedAt: string): Promise<void> {
    return this.waitForRow('SELECT 1 FROM device WHERE tenant = $1 AND device_id = $2 AND changed_at >= $3', [
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
    }, { timeoutMs, what: sql });
  }
}

/** One suite's world: its infrastructure, connectivity booted on it, the devices stand-in, and readers. */
export interface ConnectivitySuite {
  infra: Infrastructure;
  service: TestService;
  devices: DevicesServiceDouble;
  /** A started reader of one topic, stopped with the suite. */
  reader<T extends TopicName>(topic: T): Promise<EventReader<T>>;
  stop(): Promise<void>;
}

export async function startConnectivitySuite(
  prefix: string,
  env: Record<string, string> = {},
  options: { withIdp?: boolean } = {},
): Promise<ConnectivitySuite> {
  const infra = await startInfrastructure(prefix, options);
  const service = await startConnectivity(serviceEnv(infra, env));
  const devices = new DevicesServiceDouble(infra.kafka.bootstrapServers, infra.database.url);
  await devices.connect();
  const readers: EventReader<TopicName>[] = [];
  return {
    infra,
    service,
    devices,
    reader: async (topic) => {
      const reader = await new EventReader(infra.kafka.bootstrapServers, topic).start();
      readers.push(reader as unknown as EventReader<TopicName>);
      return reader;
    },
    stop: async () => {
      await Promise.allSettled([...readers.map((reader) => reader.stop()), devices.disconnect()]);
      await service.shutdown();
      await infra.stop();
    },
  };
}
