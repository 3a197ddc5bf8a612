import type { CommandStatus } from '../prisma-client/client';

/** Where a command stands; a status never moves back (a late `delivered` after `succeeded` is ignored). */
const RANK: Record<CommandStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  succeeded: 3,
  failed: 3,
  expired: 3,
};

export const FINAL_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'expired'];

export function isFinal(status: CommandStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Whether a command in `from` may take `to`: forward only, and nothing after a final status. */
export function canAdvance(from: CommandStatus, to: CommandStatus): boolean {
  return !isFinal(from) && RANK[to] > RANK[from];
}

/** Connectivity's outcome as the command's status. */
export function statusOfOutcome(
  outcome: 'delivered' | 'succeeded' | 'failed' | 'expired' | 'rejected',
): CommandStatus {
  return outcome === 'rejected' ? 'failed' : outcome;
}
