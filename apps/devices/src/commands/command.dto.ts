import { z } from 'zod';

export const commandStatus = z.enum(['queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired']);

export const commandRequest = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'name: a letter, then letters, digits, _ . -, at most 64'),
    params: z.json().optional(),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(300)
      .describe('How long connectivity may hold the command for a disconnected device'),
  })
  .strict()
  .refine((body) => body.params === undefined || JSON.stringify(body.params).length <= 16_384, {
    message: 'params are at most 16 KiB of JSON',
    path: ['params'],
  });
export type CommandRequest = z.output<typeof commandRequest>;

export const commandView = z.object({
  id: z.uuid(),
  deviceId: z.string(),
  name: z.string(),
  params: z.json().optional(),
  status: commandStatus,
  ttlSeconds: z.number().int(),
  expiresAt: z.iso.datetime(),
  requestedBy: z.string().optional(),
  response: z.json().optional(),
  reason: z.string().optional(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().optional(),
  deliveredAt: z.iso.datetime().optional(),
  completedAt: z.iso.datetime().optional(),
});
export type CommandView = z.output<typeof commandView>;

export const commandHistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  status: commandStatus.optional(),
});
export type CommandHistoryQuery = z.output<typeof commandHistoryQuery>;
