import { integer, serviceConfigSchema } from '@urbis/runtime';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private key: PKCS#8 PEM, or the base64 of its 32-byte seed (`openssl rand -base64 32`). */
const signingKey = z.string().transform((value, ctx): KeyObject => {
  try {
    const key = value.includes('-----BEGIN') ? createPrivateKey(value) : ed25519FromSeed(seedOf(value));
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // reported below, without echoing the secret
  }
  ctx.addIssue({ code: 'custom', message: 'expected an Ed25519 private key: PKCS#8 PEM, or the base64 of a 32-byte seed' });
  return z.NEVER;
});

function ed25519FromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function seedOf(value: string): Buffer {
  const seed = Buffer.from(value.trim(), 'base64');
  if (seed.length !== 32) throw new Error('not a 32-byte seed');
  return seed;
}

/** `count/seconds`: how many occurrences within how many seconds make an incident. */
const threshold = z
  .string()
  .trim()
  .regex(/^\d{1,7}\/\d{1,6}$/, 'expected <count>/<seconds>, e.g. 10/60')
  .transform((value) => {
    const [count, seconds] = value.split('/').map(Number) as [number, number];
    return { count, windowSeconds: seconds };
  })
  .pipe(z.object({ count: z.number().int().min(1), windowSeconds: z.number().int().min(1).max(86_400) }));

/**
 * The development ledger key: a fixed, public seed, so that a restarted dev service still
 * verifies its own checkpoints. Refused when NODE_ENV=production.
 */
const developmentLedgerKey = () => ed25519FromSeed(Buffer.from('urbis-development-ledger-key-not-secret!').subarray(0, 32));

export const configSchema = serviceConfigSchema(
  {
    name: 'security',
    port: 8085,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/urbis_security',
  },
  {
    LEDGER_SIGNING_KEY: signingKey.optional(),
    LEDGER_CHECKPOINT_INTERVAL_MS: integer(100, 86_400_000).default(60_000),
    LEDGER_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-security-ledger'),
    POLICY_MAX_BYTES: integer(256, 1_048_576).default(65_536),
    DETECTION_CONSUMER_GROUP: z.string().trim().min(1).default('urbis-security-detection'),
    DETECT_DEVICE_AUTH_FAILURES: threshold.default({ count: 10, windowSeconds: 60 }),
    DETECT_REJECTED_PAYLOADS: threshold.default({ count: 50, windowSeconds: 60 }),
    DETECT_CROSS_TENANT_TOKENS: threshold.default({ count: 3, windowSeconds: 300 }),
    DETECT_WEBHOOK_SIGNATURE_FAILURES: threshold.default({ count: 5, windowSeconds: 60 }),
    /** A device's messages in one bucket above this many times its baseline (and above the minimum) are a flood. */
    DETECT_MESSAGE_RATE_FACTOR: integer(2, 10_000).default(10),
    DETECT_MESSAGE_RATE_MIN_MESSAGES: integer(1, 10_000_000).default(120),
    DETECT_MESSAGE_RATE_BUCKET_SECONDS: integer(1, 3600).default(60),
    /** How long an automatic address block lasts. */
    ENFORCEMENT_BLOCK_SECONDS: integer(1, 30 * 86_400).default(900),
  },
  (env) => ({
    ledger: {
      signingKey: env.LEDGER_SIGNING_KEY ?? developmentLedgerKey(),
      developmentKey: env.LEDGER_SIGNING_KEY === undefined,
      checkpointIntervalMs: env.LEDGER_CHECKPOINT_INTERVAL_MS,
      consumerGroup: env.LEDGER_CONSUMER_GROUP,
    },
    policies: { maxBytes: env.POLICY_MAX_BYTES },
    detection: {
      consumerGroup: env.DETECTION_CONSUMER_GROUP,
      thresholds: {
        'device-auth-failures': env.DETECT_DEVICE_AUTH_FAILURES,
        'rejected-payloads': env.DETECT_REJECTED_PAYLOADS,
        'cross-tenant-tokens': env.DETECT_CROSS_TENANT_TOKENS,
        'webhook-signature-failures': env.DETECT_WEBHOOK_SIGNATURE_FAILURES,
      },
      messageRate: {
        factor: env.DETECT_MESSAGE_RATE_FACTOR,
        minMessages: env.DETECT_MESSAGE_RATE_MIN_MESSAGES,
        bucketSeconds: env.DETECT_MESSAGE_RATE_BUCKET_SECONDS,
      },
      blockSeconds: env.ENFORCEMENT_BLOCK_SECONDS,
    },
  }),
).superRefine((config, ctx) => {
  if (config.service.environment === 'production' && config.ledger.developmentKey) {
    ctx.addIssue({ code: 'custom', path: ['LEDGER_SIGNING_KEY'], message: 'required when NODE_ENV=production (the development key is public)' });
  }
});

export type SecurityConfig = z.output<typeof configSchema>;
