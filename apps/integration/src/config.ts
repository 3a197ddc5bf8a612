import { integer, serviceConfigSchema } from '@urbis/runtime';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const ratio = z.coerce.number().min(0).max(1);
const name = z.string().trim().min(1);

export const configSchema = serviceConfigSchema(
  {
    name: 'integration',
    port: 8083,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_integration',
  },
  {
    INSTANCE_ID: name.optional(),
    NOTIFICATIONS_CONSUMER_GROUP: name.default('urbis-integration-notifications'),
    WEBHOOKS_CONSUMER_GROUP: name.default('urbis-integration-webhooks'),
    DELIVERY_TIMEOUT_MS: integer(100, 120_000).default(10_000),
    DELIVERY_MAX_RESPONSE_BYTES: integer(0, 16_777_216).default(65_536),
    DELIVERY_MAX_REDIRECTS: integer(0, 10).default(3),
    DELIVERY_MAX_ATTEMPTS: integer(1, 1000).default(12),
    DELIVERY_MAX_AGE_SECONDS: integer(1, 30 * 24 * 3600).default(24 * 3600),
    DELIVERY_BACKOFF_BASE_MS: integer(1, 3_600_000).default(1000),
    DELIVERY_BACKOFF_MAX_MS: integer(1, 24 * 3_600_000).default(300_000),
    DELIVERY_BACKOFF_JITTER: ratio.default(0.2),
    DELIVERY_RETRY_AFTER_MAX_SECONDS: integer(0, 24 * 3600).default(3600),
    DELIVERY_CONCURRENCY: integer(1, 1024).default(32),
    DELIVERY_POLL_INTERVAL_MS: integer(10, 60_000).default(250),
    DELIVERY_LEASE_MS: integer(1000, 600_000).default(30_000),
    DELIVERY_BATCH_SIZE: integer(1, 1000).default(100),
    DELIVERY_RETENTION_HOURS: integer(1, 24 * 365).default(7 * 24),
    CIRCUIT_FAILURE_THRESHOLD: integer(1, 1000).default(5),
    CIRCUIT_COOLDOWN_MS: integer(1, 3_600_000).default(30_000),
    CIRCUIT_COOLDOWN_MAX_MS: integer(1, 24 * 3_600_000).default(120_000),
    WEBHOOK_SECRET_OVERLAP_SECONDS: integer(0, 30 * 24 * 3600).default(24 * 3600),
    JSONATA_TIMEOUT_MS: integer(1, 10_000).default(100),
    JSONATA_MAX_DEPTH: integer(10, 10_000).default(200),
    CONNECTOR_TICK_MS: integer(50, 60_000).default(1000),
    CONNECTOR_LEASE_MS: integer(1000, 600_000).default(15_000),
    CONNECTOR_RECONNECT_INITIAL_MS: integer(10, 60_000).default(500),
    CONNECTOR_RECONNECT_MAX_MS: integer(10, 3_600_000).default(30_000),
    CONNECTOR_MAX_OBSERVATIONS: integer(1, 100_000).default(1000),
    OPCUA_PKI_DIR: name.default(path.join(tmpdir(), 'urbis-integration-opcua-pki')),
  },
  (env) => ({
    instanceId: env.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    delivery: {
      notificationsConsumerGroup: env.NOTIFICATIONS_CONSUMER_GROUP,
      concurrency: env.DELIVERY_CONCURRENCY,
      pollIntervalMs: env.DELIVERY_POLL_INTERVAL_MS,
      leaseMs: env.DELIVERY_LEASE_MS,
      batchSize: env.DELIVERY_BATCH_SIZE,
      retentionHours: env.DELIVERY_RETENTION_HOURS,
      request: {
        timeoutMs: env.DELIVERY_TIMEOUT_MS,
        maxResponseBytes: env.DELIVERY_MAX_RESPONSE_BYTES,
        maxRedirects: env.DELIVERY_MAX_REDIRECTS,
      },
      retry: {
        maxAttempts: env.DELIVERY_MAX_ATTEMPTS,
        maxAgeSeconds: env.DELIVERY_MAX_AGE_SECONDS,
        baseDelayMs: env.DELIVERY_BACKOFF_BASE_MS,
        maxDelayMs: env.DELIVERY_BACKOFF_MAX_MS,
        jitter: env.DELIVERY_BACKOFF_JITTER,
        retryAfterMaxSeconds: env.DELIVERY_RETRY_AFTER_MAX_SECONDS,
      },
      circuit: {
        failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
        cooldownMs: env.CIRCUIT_COOLDOWN_MS,
        cooldownMaxMs: env.CIRCUIT_COOLDOWN_MAX_MS,
      },
    },
    webhooks: {
      consumerGroup: env.WEBHOOKS_CONSUMER_GROUP,
      secretOverlapSeconds: env.WEBHOOK_SECRET_OVERLAP_SECONDS,
    },
    connectors: {
      tickMs: env.CONNECTOR_TICK_MS,
      leaseMs: env.CONNECTOR_LEASE_MS,
      reconnect: { initialMs: env.CONNECTOR_RECONNECT_INITIAL_MS, maxMs: env.CONNECTOR_RECONNECT_MAX_MS },
      maxObservations: env.CONNECTOR_MAX_OBSERVATIONS,
      opcuaPkiDir: env.OPCUA_PKI_DIR,
    },
    jsonata: { timeoutMs: env.JSONATA_TIMEOUT_MS, maxDepth: env.JSONATA_MAX_DEPTH, maxSequence: 10_000 },
  }),
);

export type IntegrationConfig = z.output<typeof configSchema>;
export type RetrySettings = IntegrationConfig['delivery']['retry'];
export type CircuitSettings = IntegrationConfig['delivery']['circuit'];
export type RequestLimits = IntegrationConfig['delivery']['request'];
