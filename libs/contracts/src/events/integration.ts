import { z } from 'zod';
import { timestamp } from './common';

export const deliveryCompletedV1 = z.object({
  deliveryId: z.uuid(),
  correlationId: z.string().min(1).describe('What was delivered, e.g. the notificationId'),
  subscriptionId: z.string().optional(),
  endpoint: z.string().min(1),
  outcome: z.enum(['delivered', 'dead-lettered']),
  attempts: z.number().int().positive(),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  firstAttemptAt: timestamp,
  completedAt: timestamp,
});
