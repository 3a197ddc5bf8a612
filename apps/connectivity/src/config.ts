import { integer, serviceConfigSchema } from '@urbis/runtime';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

export const configSchema = serviceConfigSchema(
  {
    name: 'connectivity',
    port: 8081,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_connectivity',
  },
  {
    MQTT_HOST: z.string().trim().min(1).default('0.0.0.0'),
    /** 0 picks a free port (tests). */
    MQTT_PORT: integer(0, 65535).default(1883),
    /** MQTT over TLS (8883 in the charts); unset, there is no TLS listener. 0 picks a free port (tests). */
    MQTT_TLS_PORT: integer(0, 65535).optional(),
    /** PEM certificate chain and private key of the TLS listener (required with MQTT_TLS_PORT). */
    MQTT_TLS_CERT_FILE: readableFile().optional(),
    MQTT_TLS_KEY_FILE: readableFile().optional(),
    /** Longest a client may take from TCP connect to CONNECT. */
    MQTT_CONNECT_TIMEOUT_MS: integer(100, 120_000).default(10_000),
    /** How long uplinks wait to be sent to Kafka together; larger batches, fewer produce requests. */
    UPLINK_LINGER_MS: integer(0, 1000).default(2),
    UPLINK_MAX_BATCH: integer(1, 10_000).default(1000),
    /** Default largest payload a device may send (per-profile limits override it). */
    LIMIT_MAX_PAYLOAD_BYTES: integer(1, 16 * 1024 * 1024).default(64 * 1024),
    /** Default messages per minute per device (per-profile limits override it). */
    LIMIT_DEVICE_MESSAGES_PER_MINUTE: integer(1, 1_000_000).default(600),
    /** How many seconds' worth of messages a device may send at once. */
    LIMIT_BURST_SECONDS: integer(1, 3600).default(10),
    /** Messages per minute per tenant, on each replica. */
    LIMIT_TENANT_MESSAGES_PER_MINUTE: integer(1, 100_000_000).default(1_200_000),
    /** Concurrent MQTT sessions per tenant, on each replica. */
    LIMIT_TENANT_CONNECTIONS: integer(1, 10_000_000).default(100_000),
    /** MQTT connection attempts per minute from one address (a client reconnecting in a tight loop). */
    LIMIT_CONNECTS_PER_ADDRESS_PER_MINUTE: integer(1, 10_000_000).default(100_000),
    /** How long a successful token check is remembered, so reconnect storms skip scrypt. */
    AUTH_CACHE_TTL_SECONDS: integer(0, 86_400).default(900),
    /**
     * Network-server webhook secrets per tenant, `tenant=secret,tenant=secret` (at least 16
     * characters each). A tenant without one cannot use the LoRaWAN webhooks.
     */
    LORAWAN_WEBHOOK_SECRETS: z
      .string()
      .trim()
      .default('')
      .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
      .pipe(
        z.array(
          z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}=\S{16,}$/, 'expected tenant=secret (secret: at least 16 characters)'),
        ),
      )
      .transform((entries) => new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))),
    /** How long webhook calls for the same (DevEUI, fCnt) from several gateways are merged into one uplink. */
    LORAWAN_DEDUP_WINDOW_MS: integer(0, 10_000).default(200),
    /** How often last-seen times are written (they are buffered in between). */
    STATUS_FLUSH_INTERVAL_MS: integer(10, 60_000).default(1000),
    /** How often devices silent past their expected interval are looked for. */
    SILENCE_CHECK_INTERVAL_MS: integer(50, 3_600_000).default(30_000),
    /** A device is silent after this many expected reporting intervals without a message. */
    SILENCE_TOLERANCE: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'expected a number from 1 to 100')
      .transform(Number)
      .pipe(z.number().min(1, 'expected a number from 1 to 100').max(100, 'expected a number from 1 to 100'))
      .default(2),
    /** Link-quality samples kept per device. */
    LINK_SAMPLES_KEPT: integer(1, 1000).default(20),
    /**
     * How long the broker waits for a silent consumer before moving its partitions (a crashed
     * replica's commands go to another after this). Joins and leaves of the shared commands
     * group also take about this long.
     */
    CONSUMER_SESSION_TIMEOUT_MS: integer(2000, 300_000).default(30_000),
    /** Identifies this replica (pod name); default the host name. */
    REPLICA_ID: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected letters, digits, . _ -')
      .default(hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'connectivity'),
  },
  (env) => ({
    replicaId: env.REPLICA_ID,
    consumers: {
      sessionTimeout: env.CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.max(200, Math.floor(env.CONSUMER_SESSION_TIMEOUT_MS / 10)),
    },
    mqtt: {
      host: env.MQTT_HOST,
      port: env.MQTT_PORT,
      connectTimeoutMs: env.MQTT_CONNECT_TIMEOUT_MS,
      tls:
        env.MQTT_TLS_PORT !== undefined && env.MQTT_TLS_CERT_FILE && env.MQTT_TLS_KEY_FILE
          ? { port: env.MQTT_TLS_PORT, certFile: env.MQTT_TLS_CERT_FILE, keyFile: env.MQTT_TLS_KEY_FILE }
          : undefined,
    },
    uplinks: { lingerMs: env.UPLINK_LINGER_MS, maxBatch: env.UPLINK_MAX_BATCH },
    limits: {
      maxPayloadBytes: env.LIMIT_MAX_PAYLOAD_BYTES,
      deviceMessagesPerMinute: env.LIMIT_DEVICE_MESSAGES_PER_MINUTE,
      burstSeconds: env.LIMIT_BURST_SECONDS,
      tenantMessagesPerMinute: env.LIMIT_TENANT_MESSAGES_PER_MINUTE,
      tenantConnections: env.LIMIT_TENANT_CONNECTIONS,
      connectsPerAddressPerMinute: env.LIMIT_CONNECTS_PER_ADDRESS_PER_MINUTE,
    },
    lorawan: { webhookSecrets: env.LORAWAN_WEBHOOK_SECRETS, dedupWindowMs: env.LORAWAN_DEDUP_WINDOW_MS },
    status: {
      flushIntervalMs: env.STATUS_FLUSH_INTERVAL_MS,
      silenceCheckIntervalMs: env.SILENCE_CHECK_INTERVAL_MS,
      silenceTolerance: env.SILENCE_TOLERANCE,
      linkSamplesKept: env.LINK_SAMPLES_KEPT,
    },
    deviceAuth: { cacheTtlSeconds: env.AUTH_CACHE_TTL_SECONDS },
  }),
  (env, ctx) => {
    const tlsFiles = ['MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE'] as const;
    for (const name of tlsFiles) {
      if (env.MQTT_TLS_PORT !== undefined && env[name] === undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'required with MQTT_TLS_PORT' });
      }
      if (env.MQTT_TLS_PORT === undefined && env[name] !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['MQTT_TLS_PORT'], message: `required with ${name}` });
        return;
      }
    }
  },
);

/** A path to a file the service can read at start. */
function readableFile() {
  return z
    .string()
    .trim()
    .min(1)
    .refine((file) => existsSync(file), 'no such file');
}

export type ConnectivityConfig = z.output<typeof configSchema>;
