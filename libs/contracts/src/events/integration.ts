import { z } from 'zod';
import { timestamp } from './common';

export const deliveryCompletedV1 = z.object({
  deliveryId: z.uuid().describe('Also the Idempotency-Key header every attempt carried'),
  correlationId: z.string().min(1).describe('What was delivered, e.g. the notificationId'),
  subscriptionId: z.string().optional(),
  endpoint: z.string().min(1),
  outcome: z.enum(['delivered', 'dead-lettered']),
  attempts: z.number().int().positive(),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  firstAttemptAt: timestamp,
  completedAt: timestamp,
  kind: z
    .enum(['notification', 'webhook'])
    .optional()
    .describe('notification: a data.notification.requested.v1; webhook: a platform event for a registered webhook'),
  webhookId: z.uuid().optional().describe('The platform webhook this delivery was for (kind webhook)'),
  lastAttemptAt: timestamp.optional().describe('When the last attempt started'),
  lastFailureAt: timestamp
    .optional()
    .describe('When the last failed attempt ended, also when the delivery finally succeeded (NGSI-LD lastFailure)'),
  replays: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('How many times an operator replayed this delivery from the dead letters'),
});
