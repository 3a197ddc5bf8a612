import { z } from 'zod';
import { deviceId, jsonValue, timestamp } from './common';

export const actor = z.object({
  kind: z.enum(['user', 'client', 'device', 'service']),
  id: z.string().min(1),
});

export const auditRecordedV1 = z.object({
  actor,
  action: z.string().min(1).describe('What was done, e.g. device.create, entity.read'),
  resource: z.object({ type: z.string().min(1), id: z.string().optional() }),
  outcome: z.enum(['succeeded', 'failed', 'allowed', 'denied']),
  reason: z.string().optional(),
  at: timestamp,
  details: z.record(z.string(), jsonValue).optional(),
});

export const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const incidentRaisedV1 = z.object({
  incidentId: z.uuid(),
  kind: z.enum(['auth-failures', 'rejected-payloads', 'flood', 'policy-violation', 'other']),
  severity,
  subject: z.object({ kind: z.enum(['device', 'client', 'user', 'address']), id: z.string().min(1) }),
  summary: z.string().min(1),
  evidence: z.record(z.string(), jsonValue),
  detectedAt: timestamp,
});

export const enforcementRequestedV1 = z.object({
  enforcementId: z.uuid(),
  incidentId: z.uuid().optional(),
  action: z.enum(['block-device', 'unblock-device', 'revoke-credential']),
  deviceId,
  credentialId: z.uuid().optional(),
  reason: z.string().min(1),
  until: timestamp.optional(),
});

export const accessAction = z.enum(['read', 'write']);

export const policyGrant = z.object({
  subject: z.object({ kind: z.enum(['client', 'role', 'user']), id: z.string().min(1) }),
  actions: z.array(accessAction).min(1),
  resource: z.object({
    kind: z.enum(['tenant', 'entity-type', 'attribute', 'data-product']),
    entityType: z.string().optional(),
    attribute: z.string().optional(),
    dataProduct: z.string().optional(),
  }),
  purpose: z.string().min(1),
  validFrom: timestamp.optional(),
  validUntil: timestamp.optional(),
});

export const policyChangedV1 = z.object({
  policyId: z.uuid(),
  change: z.enum(['created', 'updated', 'deleted']),
  policy: policyGrant.optional().describe('The policy after the change; absent when deleted'),
  changedAt: timestamp,
});
