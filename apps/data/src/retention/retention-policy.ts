import { z } from 'zod';

/** A retention policy as an administrator writes it: names as the core @context reads them (or IRIs). */
export const retentionPolicyInput = z
  .object({
    entityType: z.string().min(1).max(512).optional().describe('Entity type the policy applies to; every type when absent'),
    attribute: z.string().min(1).max(512).optional().describe('One attribute of that type; every attribute when absent'),
    keepRawDays: z.number().int().min(1).max(36_500).describe('How long raw attribute instances are kept'),
    keepRollupDays: z.number().int().min(1).max(36_500).optional().describe('How long hourly rollups are kept (at least as long as raw instances)'),
  })
  .strict()
  .refine((policy) => policy.attribute === undefined || policy.entityType !== undefined, { message: 'an attribute policy names its entityType', path: ['attribute'] })
  .refine((policy) => policy.keepRollupDays === undefined || policy.keepRollupDays >= policy.keepRawDays, { message: 'rollups are kept at least as long as raw instances', path: ['keepRollupDays'] });

export type RetentionPolicyInput = z.output<typeof retentionPolicyInput>;

export const ANY = '*';

/** A stored policy: expanded IRIs, `*` for every type or attribute. */
export interface RetentionPolicy {
  tenant: string;
  entityType: string;
  attr: string;
  rawDays: number;
  rollupDays: number | null;
  updatedAt: Date;
  updatedBy: string;
}

/** How specific a policy is: an attribute policy beats a type policy beats the tenant's. */
export const specificity = (policy: Pick<RetentionPolicy, 'entityType' | 'attr'>) => (policy.attr !== ANY ? 2 : policy.entityType !== ANY ? 1 : 0);
