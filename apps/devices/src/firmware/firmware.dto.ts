import { z } from 'zod';

export const artifactInput = z
  .object({
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/, 'version: e.g. 1.4.2 or 2026.11-rc1'),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'sha256: 64 hexadecimal digits')
      .transform((value) => value.toLowerCase()),
    sizeBytes: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1),
    url: z.url({ protocol: /^https?$/, error: 'url: an http(s) URL the devices download from' }),
    description: z.string().max(1000).optional(),
  })
  .strict();
export type ArtifactInput = z.output<typeof artifactInput>;

export const artifactView = z.object({
  id: z.uuid(),
  version: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  url: z.string(),
  description: z.string().optional(),
  createdAt: z.iso.datetime(),
});

export const campaignInput = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'name: lower-case letters, digits, . _ -'),
    artifactId: z.uuid(),
    rollbackArtifactId: z
      .uuid()
      .optional()
      .describe('What a rollback installs; can also be given when rolling back'),
    target: z
      .object({ profileId: z.uuid().optional(), tags: z.array(z.string().min(1).max(64)).max(20).optional() })
      .strict()
      .refine((t) => t.profileId !== undefined || (t.tags?.length ?? 0) > 0, {
        message: 'target needs a profileId or tags',
      })
      .describe('Active devices of the profile and/or carrying every tag'),
    waves: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(10)
      .default([1, 10, 100])
      .refine((w) => w.every((p, i) => i === 0 || p > w[i - 1]), { message: 'waves must increase' })
      .refine((w) => w[w.length - 1] === 100, { message: 'the last wave is 100' })
      .describe('Cumulative percent of the targets per wave'),
    successThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('Share of a wave that must succeed to advance'),
    failureThreshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.2)
      .describe('Share of a wave whose failure pauses the campaign'),
    commandTtlSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 24 * 3600)
      .default(3600),
  })
  .strict();
export type CampaignInput = z.output<typeof campaignInput>;

export const rollbackInput = z.object({ artifactId: z.uuid().optional() }).strict();
export type RollbackInput = z.output<typeof rollbackInput>;

export const campaignDeviceStatus = z.enum([
  'queued',
  'notified',
  'downloading',
  'installing',
  'succeeded',
  'failed',
  'rolled_back',
]);

const counts = z.object(Object.fromEntries(campaignDeviceStatus.options.map((s) => [s, z.number().int()])));

export const campaignView = z.object({
  id: z.uuid(),
  name: z.string(),
  artifactId: z.uuid(),
  rollbackArtifactId: z.uuid().optional(),
  target: z.object({ profileId: z.uuid().optional(), tags: z.array(z.string()).optional() }),
  waves: z.array(z.number().int()),
  successThreshold: z.number(),
  failureThreshold: z.number(),
  status: z.enum(['running', 'paused', 'completed', 'cancelled', 'rolling_back', 'rolled_back']),
  statusReason: z.string().optional(),
  currentWave: z.number().int(),
  progress: z.object({
    total: z.number().int(),
    counts,
    waves: z.array(
      z.object({ wave: z.number().int(), percent: z.number().int(), total: z.number().int(), counts }),
    ),
  }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type CampaignView = z.output<typeof campaignView>;

export const campaignDeviceView = z.object({
  deviceId: z.string(),
  wave: z.number().int(),
  status: campaignDeviceStatus,
  attempts: z.number().int(),
  commandId: z.uuid().optional(),
  lastError: z.string().optional(),
  updatedAt: z.iso.datetime(),
});
