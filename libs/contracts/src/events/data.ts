import { z } from 'zod';
import { entityId, entityType, jsonValue, timestamp } from './common';

export const entityChangedV1 = z.object({
  entityId,
  entityType,
  change: z.enum(['created', 'updated', 'deleted']),
  attributes: z.array(z.string()).describe('Names of the attributes that changed'),
  modifiedAt: timestamp,
  entity: z.record(z.string(), jsonValue).optional().describe('Normalized NGSI-LD entity after the change'),
});

export const notificationEndpoint = z.object({
  uri: z.url({ protocol: /^(https?|mqtts?)$/ }),
  accept: z.enum(['application/json', 'application/ld+json', 'application/geo+json']).optional(),
  receiverInfo: z.array(z.object({ key: z.string().min(1), value: z.string() })).optional(),
});

export const notificationRequestedV1 = z.object({
  notificationId: z.uuid(),
  subscriptionId: z.string().min(1),
  endpoint: notificationEndpoint,
  contentType: z.string().min(1),
  body: z.record(z.string(), jsonValue).describe('The NGSI-LD Notification to deliver'),
});
