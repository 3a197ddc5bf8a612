import { dataAccessPolicy } from '@urbis/contracts';
import { z } from 'zod';

/**
 * A policy as an administrator writes it: the security service adds `policyId`, `tenant`,
 * `version` and `updatedAt`. Unknown fields are refused, and validity dates must be in order.
 */
export const policyInput = dataAccessPolicy
  .omit({ policyId: true, tenant: true, version: true, updatedAt: true })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.validFrom !== undefined && policy.validUntil !== undefined && Date.parse(policy.validUntil) <= Date.parse(policy.validFrom)) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil must be after validFrom' });
    }
    if (new Set(policy.actions).size !== policy.actions.length) {
      ctx.addIssue({ code: 'custom', path: ['actions'], message: 'actions must not repeat' });
    }
  });
export type PolicyInput = z.output<typeof policyInput>;
