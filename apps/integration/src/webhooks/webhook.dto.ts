import { TOPICS, type TopicName } from '@urbis/contracts';
import { z } from 'zod';

/** The platform events integrators can subscribe a webhook to: the catalogue topics, by name. */
export const WEBHOOK_EVENT_TYPES = [
  'devices.lifecycle.changed.v1',
  'connectivity.device-status.changed.v1',
  'connectivity.command.responded.v1',
  'security.incident.raised.v1',
] as const satisfies readonly TopicName[];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const eventTypeCatalogue = WEBHOOK_EVENT_TYPES.map((type) => ({
  type,
  summary: TOPICS[type].summary,
}));

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, 'name: letters, digits, space . _ -, at most 100 characters');
const url = z.url({ protocol: /^https?$/, error: 'expected an http(s):// URL' }).max(2048);
const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)]);
const filter = z
  .string()
  .min(1)
  .max(4096)
  .describe('JSONata over the event (id, type, tenant, occurredAt, payload); delivered when truthy');

export const webhookInput = z
  .object({ name, url, eventTypes, filter: filter.optional(), active: z.boolean().default(true) })
  .strict();
export type WebhookInput = z.output<typeof webhookInput>;

export const webhookPatch = z
  .object({
    url: url.optional(),
    eventTypes: eventTypes.optional(),
    filter: filter.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type WebhookPatch = z.output<typeof webhookPatch>;

export const rotateRequest = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .optional()
      .describe('How long the previous secret keeps signing too (default WEBHOOK_SECRET_OVERLAP_SECONDS)'),
  })
  .strict();
export type RotateRequest = z.output<typeof rotateRequest>;

export const webhookView = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  filter: z.string().optional(),
  active: z.boolean(),
  secrets: z.array(
    z.object({ id: z.uuid(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime().optional() }),
  ),
  lastFilterError: z.string().optional(),
  lastFilterErrorAt: z.iso.datetime().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type WebhookView = z.output<typeof webhookView>;

export const webhookWithSecret = webhookView.extend({
  secret: z.string().describe('The signing secret, shown only now'),
});
