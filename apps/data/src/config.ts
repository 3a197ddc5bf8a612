import { integer, serviceConfigSchema } from '@urbis/runtime';
import { hostname } from 'node:os';
import { z } from 'zod';

const optionalUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).optional();

export const configSchema = serviceConfigSchema(
  {
    name: 'data',
    port: 1026,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_data',
  },
  {
    NGSILD_CORE_CONTEXT_URL: z
      .url()
      .default('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld')
      .describe('The core @context URL responses link when the client named none'),
    NGSILD_PUBLIC_URL: optionalUrl.describe('Base URL clients reach the broker at (links to hosted @contexts)'),
    NGSILD_CONTEXTS_DIR: z.string().trim().min(1).optional().describe('Preloaded @contexts: a directory with urls.json'),
    NGSILD_CONTEXT_FETCH_TIMEOUT_MS: integer(100, 60_000).default(5000),
    NGSILD_CONTEXT_MAX_BYTES: integer(1024, 16 * 1024 * 1024).default(1024 * 1024),
    NGSILD_DEFAULT_LIMIT: integer(1, 10_000).default(20),
    NGSILD_MAX_LIMIT: integer(1, 10_000).default(1000),
    NGSILD_MAX_BODY_BYTES: integer(1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
    NGSILD_MAX_BATCH_ENTITIES: integer(1, 100_000).default(1000),
    // One lane commits the most per transaction where the database shares the service's few cores
    // (BENCHMARKS.md); more lanes overlap transactions when it has cores of its own.
    NGSILD_WRITE_LANES: integer(1, 64).default(1),
    NGSILD_WRITE_MAX_BATCH: integer(1, 10_000).default(500),
    OBSERVATIONS_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-data-observations'),
    OBSERVATIONS_CONCURRENCY: integer(1, 64)
      .default(2)
      .describe('Partitions of the observation topic ingested at once (one transaction each; one entity is always on one partition)'),
    OBSERVATIONS_BATCH: integer(1, 10_000).default(500).describe('Observations per ingest transaction at most'),
    NGSILD_TEMPORAL_MAX_INSTANCES: integer(1, 100_000).default(1000).describe('Instances (or periods) per attribute in one temporal response; more is 206 with Content-Range'),
    NGSILD_TEMPORAL_MAX_LAST_N: integer(1, 1_000_000).default(100_000).describe('The largest lastN accepted'),
    NGSILD_TEMPORAL_MAX_RESPONSE_INSTANCES: integer(1, 10_000_000).default(200_000).describe('Instances in one temporal response; the per-attribute maximum shrinks to fit'),
    NGSILD_HISTORY_MONTHS_AHEAD: integer(1, 36).default(3).describe('Monthly history partitions kept created ahead of time'),
    NGSILD_HISTORY_MAINTENANCE_INTERVAL_MS: integer(10_000, 86_400_000).default(3_600_000),
    NGSILD_SUBSCRIPTIONS_RELOAD_MS: integer(1000, 3_600_000).default(30_000).describe('Full reload of the subscription index (besides LISTEN/NOTIFY)'),
    NGSILD_PERIODIC_TICK_MS: integer(100, 60_000).default(1000).describe('How often due periodic (timeInterval) subscriptions are notified'),
    NGSILD_NOTIFICATION_MAX_ENTITIES: integer(1, 1000).default(100).describe('Entities per notification; a batch that matches more is split'),
    DELIVERIES_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-data-deliveries'),
    RETENTION_INTERVAL_MS: integer(1000, 7 * 24 * 3_600_000).default(3_600_000).describe('How often the retention purge runs'),
    /** Identifies this replica (pod name); default the host name. */
    REPLICA_ID: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected letters, digits, . _ -')
      .default(hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'data'),
  },
  (env) => ({
    ngsiLd: {
      coreContextUrl: env.NGSILD_CORE_CONTEXT_URL,
      publicUrl: env.NGSILD_PUBLIC_URL?.replace(/\/+$/, ''),
      defaultLimit: env.NGSILD_DEFAULT_LIMIT,
      maxLimit: env.NGSILD_MAX_LIMIT,
      maxBodyBytes: env.NGSILD_MAX_BODY_BYTES,
      maxBatchEntities: env.NGSILD_MAX_BATCH_ENTITIES,
    },
    contexts: {
      preloadDir: env.NGSILD_CONTEXTS_DIR,
      fetchTimeoutMs: env.NGSILD_CONTEXT_FETCH_TIMEOUT_MS,
      maxBytes: env.NGSILD_CONTEXT_MAX_BYTES,
    },
    writes: { lanes: env.NGSILD_WRITE_LANES, maxBatch: env.NGSILD_WRITE_MAX_BATCH },
    observations: { consumerGroup: env.OBSERVATIONS_CONSUMER_GROUP, concurrency: env.OBSERVATIONS_CONCURRENCY, batch: env.OBSERVATIONS_BATCH },
    temporal: { maxInstances: env.NGSILD_TEMPORAL_MAX_INSTANCES, maxLastN: env.NGSILD_TEMPORAL_MAX_LAST_N, maxResponseInstances: env.NGSILD_TEMPORAL_MAX_RESPONSE_INSTANCES },
    history: { monthsAhead: env.NGSILD_HISTORY_MONTHS_AHEAD, maintenanceIntervalMs: env.NGSILD_HISTORY_MAINTENANCE_INTERVAL_MS },
    subscriptions: {
      reloadMs: env.NGSILD_SUBSCRIPTIONS_RELOAD_MS,
      periodicTickMs: env.NGSILD_PERIODIC_TICK_MS,
      maxEntitiesPerNotification: env.NGSILD_NOTIFICATION_MAX_ENTITIES,
      deliveriesConsumerGroup: env.DELIVERIES_CONSUMER_GROUP,
    },
    replicaId: env.REPLICA_ID,
    retention: { intervalMs: env.RETENTION_INTERVAL_MS },
  }),
);

export type DataConfig = z.output<typeof configSchema>;
