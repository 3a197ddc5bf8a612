import type { LifecycleState } from '../prisma-client/client';

/**
 * provisioned → active → suspended → decommissioned. A suspended device may be reactivated;
 * any device may be decommissioned; decommissioned is final.
 */
const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  provisioned: ['active', 'decommissioned'],
  active: ['suspended', 'decommissioned'],
  suspended: ['active', 'decommissioned'],
  decommissioned: [],
};

export const LIFECYCLE_STATES: readonly LifecycleState[] = [
  'provisioned',
  'active',
  'suspended',
  'decommissioned',
];

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function allowedTransitions(from: LifecycleState): readonly LifecycleState[] {
  return TRANSITIONS[from];
}
