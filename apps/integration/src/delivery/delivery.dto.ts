import { z } from 'zod';
import { pageQuery } from '../common/paging';

export const deliveryStatus = z.enum(['pending', 'delivered', 'dead-lettered']);
export const deliveryKind = z.enum(['notification', 'webhook']);

export const deliveryQuery = pageQuery.extend({
  status: deliveryStatus.optional(),
  kind: deliveryKind.optional(),
  endpointId: z.uuid().optional(),
  subscriptionId: z.string().min(1).optional(),
  correlationId: z.string().min(1).optional(),
  webhookId: z.uuid().optional(),
});
export type DeliveryQuery = z.output<typeof deliveryQuery>;

export const deadLetterQuery = deliveryQuery.omit({ status: true });
export type DeadLetterQuery = z.output<typeof deadLetterQuery>;

export const attemptQuery = pageQuery.extend({
  deliveryId: z.uuid().optional(),
  endpointId: z.uuid().optional(),
  succeeded: z.stringbool().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});
export type AttemptQuery = z.output<typeof attemptQuery>;

export const replayRequest = z
  .object({
    ids: z.array(z.uuid()).min(1).max(10_000).optional(),
    endpointId: z.uuid().optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict()
  .refine((body) => body.ids !== undefined || body.endpointId !== undefined, {
    message: 'name the dead letters to replay: ids, or an endpointId',
    path: ['ids'],
  });
export type ReplayRequest = z.output<typeof replayRequest>;

export const attemptView = z.object({
  attempt: z.number().int(),
  startedAt: z.iso.datetime(),
  durationMs: z.number().int(),
  succeeded: z.boolean(),
  statusCode: z.number().int().optional(),
  error: z.string().optional(),
  retryAt: z.iso.datetime().optional(),
  deliveryId: z.uuid(),
  endpointId: z.uuid(),
});
export type AttemptView = z.output<typeof attemptView>;

export const deliveryView = z.object({
  id: z.uuid().describe('Also the Idempotency-Key header of every attempt'),
  kind: deliveryKind,
  status: deliveryStatus,
  endpointId: z.uuid(),
  endpoint: z.string().describe('The destination, without credentials'),
  correlationId: z.string(),
  subscriptionId: z.string().optional(),
  webhookId: z.uuid().optional(),
  contentType: z.string(),
  attempts: z.number().int(),
  replays: z.number().int(),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  createdAt: z.iso.datetime(),
  firstAttemptAt: z.iso.datetime().optional(),
  lastAttemptAt: z.iso.datetime().optional(),
  lastFailureAt: z.iso.datetime().optional(),
  completedAt: z.iso.datetime().optional(),
  expiresAt: z.iso.datetime(),
});
export type DeliveryView = z.output<typeof deliveryView>;

export const deliveryDetail = deliveryView.extend({
  headers: z.record(z.string(), z.string()),
  body: z.string().describe('The payload exactly as it is sent'),
  attemptLog: z.array(attemptView),
});

export const endpointView = z.object({
  id: z.uuid(),
  target: z.string(),
  circuit: z.enum(['closed', 'open', 'half-open']),
  consecutiveFailures: z.number().int(),
  nextAttemptAt: z.iso.datetime(),
  circuitOpenedAt: z.iso.datetime().optional(),
  lastSuccessAt: z.iso.datetime().optional(),
  lastFailureAt: z.iso.datetime().optional(),
  lastError: z.string().optional(),
  pending: z.number().int(),
});
export type EndpointView = z.output<typeof endpointView>;

export const list = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int() });
