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
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional()
    .describe('W3C trace id of the request or message that caused the record (also in the traceparent header)'),
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
  rule: z
    .string()
    .min(1)
    .optional()
    .describe('The detection rule that fired, e.g. device-auth-failures, cross-tenant-tokens, webhook-signature-failures'),
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

const enforcementCommon = {
  enforcementId: z.uuid(),
  incidentId: z.uuid().optional().describe('The incident that asked for it; absent when an operator did'),
  reason: z.string().min(1).max(500),
  requestedAt: timestamp,
};

export const ipAddress = z.union([z.ipv4(), z.ipv6()]).describe('An IPv4 or IPv6 address, as the service sees the peer');

/** v2 of the enforcement request: address blocks and device suspension, the target named by the action. */
export const enforcementRequestedV2 = z.discriminatedUnion('action', [
  z.object({
    ...enforcementCommon,
    action: z.literal('block-address').describe('Refuse device connections and ingest calls from the address until `until`'),
    target: ipAddress,
    until: timestamp,
  }),
  z.object({ ...enforcementCommon, action: z.literal('unblock-address'), target: ipAddress }),
  z.object({
    ...enforcementCommon,
    action: z.literal('suspend-device').describe('Suspend the device: its credentials are refused until an operator reactivates it'),
    target: deviceId,
  }),
  z.object({ ...enforcementCommon, action: z.literal('revoke-credential'), target: deviceId, credentialId: z.uuid() }),
]);

export const enforcementAppliedV1 = z.object({
  enforcementId: z.uuid(),
  action: z.enum(['block-address', 'unblock-address', 'suspend-device', 'revoke-credential']),
  target: z.string().min(1),
  outcome: z
    .enum(['applied', 'lifted', 'skipped', 'failed'])
    .describe('applied; lifted (a timed block ended); skipped (nothing to do, e.g. already suspended); failed'),
  appliedBy: z.string().min(1).describe('<service>/<replica> that acted: every connectivity replica applies address blocks'),
  detail: z.string().optional(),
  at: timestamp,
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

const attributeName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_:.@#/-]{0,255}$/, 'attribute name: a letter or _, then letters, digits, _ : . @ # / -')
  .describe('NGSI-LD attribute name');
const policyEntityType = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_:.@#/-]{0,255}$/, 'entity type: a letter or _, then letters, digits, _ : . @ # / -')
  .describe('NGSI-LD entity type');

export const policyResource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tenant').describe('Everything the tenant holds') }).strict(),
  z.object({ kind: z.literal('entity-type'), entityType: policyEntityType }).strict(),
  z
    .object({
      kind: z.literal('attribute'),
      entityType: policyEntityType,
      attributes: z.array(attributeName).min(1).max(100),
    })
    .strict(),
  z
    .object({
      kind: z.literal('data-product'),
      dataProduct: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'data product: a lower-case slug'),
      entities: z
        .array(z.object({ entityType: policyEntityType, attributes: z.array(attributeName).min(1).max(100).optional() }).strict())
        .min(1)
        .max(50)
        .describe('What the data product contains: entity types, each whole or limited to some attributes'),
    })
    .strict(),
]);

export const policySubject = z
  .object({
    kind: z.enum(['client', 'role', 'user']),
    id: z.string().min(1).max(256).describe('Client id (azp), realm role, or user id (sub)'),
  })
  .strict();

/** A data-access policy: grants `actions` on `resources` to one subject, for a purpose, within validity dates. */
export const dataAccessPolicy = z
  .object({
    policyId: z.uuid(),
    tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    version: z.number().int().positive().describe('Increases with every change of the policy'),
    description: z.string().max(1000).optional(),
    subject: policySubject,
    actions: z.array(accessAction).min(1).max(2),
    resources: z.array(policyResource).min(1).max(50),
    purpose: z.string().min(1).max(200).describe('Why the access is granted (GDPR purpose limitation)'),
    validFrom: timestamp.optional(),
    validUntil: timestamp.optional(),
    updatedAt: timestamp,
  })
  .strict();

export const policyChangedV2 = z.object({
  policyId: z.uuid(),
  change: z.enum(['created', 'updated', 'deleted']),
  version: z.number().int().positive(),
  policy: dataAccessPolicy.describe('The whole policy after the change (for deleted: its last version), so consumers need no lookup'),
  changedAt: timestamp,
});
