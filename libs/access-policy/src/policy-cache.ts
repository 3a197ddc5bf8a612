import type { EventOf } from '@urbis/contracts';
import { type AccessDecision, type AccessRequest, evaluate, type EvaluateOptions, type Policy } from './evaluate';

type PolicyChanged = EventOf<'security.policy.changed.v2'>;

interface Entry {
  version: number;
  /** Absent once deleted: the version is kept so that an older event cannot bring it back. */
  policy?: Policy;
}

/**
 * The policies of every tenant, in memory, kept current by `security.policy.changed.v2`
 * (each event carries the whole policy). Evaluating needs no call to the security service.
 * Versions make it order-proof: a change older than what is held is ignored.
 */
export class PolicyCache {
  private readonly tenants = new Map<string, Map<string, Entry>>();

  /** Applies policy-changed events; returns how many changed the cache. */
  apply(events: readonly PolicyChanged[]): number {
    let changed = 0;
    for (const event of events) {
      const { policy, change, version } = event.payload;
      const policies = this.tenants.get(policy.tenant) ?? new Map<string, Entry>();
      this.tenants.set(policy.tenant, policies);
      const held = policies.get(policy.policyId);
      if (held && held.version >= version) continue;
      policies.set(policy.policyId, change === 'deleted' ? { version } : { version, policy });
      changed += 1;
    }
    return changed;
  }

  /** The tenant's current policies. */
  policiesOf(tenant: string): Policy[] {
    return [...(this.tenants.get(tenant)?.values() ?? [])].flatMap((entry) => (entry.policy ? [entry.policy] : []));
  }

  /** How many policies are held, over all tenants. */
  get size(): number {
    let count = 0;
    for (const policies of this.tenants.values()) for (const entry of policies.values()) if (entry.policy) count += 1;
    return count;
  }

  evaluate(request: AccessRequest, options?: EvaluateOptions): AccessDecision {
    return evaluate(this.policiesOf(request.tenant), request, options);
  }
}
