import { integer, serviceConfigSchema } from '@urbis/runtime';
import { z } from 'zod';

export const configSchema = serviceConfigSchema(
  {
    name: 'devices',
    port: 8082,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_devices',
  },
  {
    CREDENTIAL_ROTATION_OVERLAP_SECONDS: integer(0, 30 * 24 * 3600).default(3600),
    DECODE_MAX_PAYLOAD_BYTES: integer(1, 1_048_576).default(65_536),
    JSONATA_TIMEOUT_MS: integer(1, 10_000).default(50),
    JSONATA_MAX_DEPTH: integer(10, 10_000).default(200),
    DECODING_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-devices-decoding'),
    DECODING_CONCURRENCY: integer(1, 64)
      .default(2)
      .describe('Partitions decoded at once (one transaction each; one device is always on one partition)'),
    COMMANDS_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-devices-commands'),
    COMMAND_SWEEP_INTERVAL_MS: integer(100, 600_000).default(1000),
    FIRMWARE_TICK_INTERVAL_MS: integer(100, 600_000).default(2000),
  },
  (env) => ({
    credentials: { rotationOverlapSeconds: env.CREDENTIAL_ROTATION_OVERLAP_SECONDS },
    commands: { consumerGroup: env.COMMANDS_CONSUMER_GROUP, sweepIntervalMs: env.COMMAND_SWEEP_INTERVAL_MS },
    firmware: { tickIntervalMs: env.FIRMWARE_TICK_INTERVAL_MS },
    decoding: {
      consumerGroup: env.DECODING_CONSUMER_GROUP,
      concurrency: env.DECODING_CONCURRENCY,
      maxPayloadBytes: env.DECODE_MAX_PAYLOAD_BYTES,
      jsonata: { timeoutMs: env.JSONATA_TIMEOUT_MS, maxDepth: env.JSONATA_MAX_DEPTH, maxSequence: 10_000 },
    },
  }),
);

export type DevicesConfig = z.output<typeof configSchema>;
