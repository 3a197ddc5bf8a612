import { policyInput } from '@urbis/access-policy';
import { dataAccessPolicy } from '@urbis/contracts';
import { z } from 'zod';

export { policyInput };

export const policyListQuery = z
  .object({
    subjectKind: z.enum(['client', 'role', 'user']).optional(),
    subjectId: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type PolicyListQuery = z.output<typeof policyListQuery>;

export const policyIdParam = z.uuid({ error: 'policyId must be a UUID' });

export const policyResponse = dataAccessPolicy;

const name = z.string().min(1).max(256);

export const decisionRequest = z
  .object({
    subject: z
      .object({ clientId: name.optional(), userId: name.optional(), roles: z.array(name).max(50).optional() })
      .strict()
      .refine((s) => s.clientId !== undefined || s.userId !== undefined || (s.roles?.length ?? 0) > 0, 'name the client, the user or roles'),
    action: z.enum(['read', 'write']),
    entityType: name,
    attributes: z.array(name).max(500).optional(),
    purpose: z.string().min(1).max(200).optional(),
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type DecisionRequest = z.output<typeof decisionRequest>;
