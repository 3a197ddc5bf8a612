import type { AuthAuditor, AuthRefusal } from '@urbis/auth';

import { actorOf, PLATFORM_TENANT, principalDetails } from './audit-record';
import type { AuditTrail } from './audit-trail';

/**
 * libs/auth's refusals as audit records, action `auth.<code>` (`auth.token-expired`,
 * `auth.tenant-mismatch`, `auth.role-missing`, ...). A verified caller's refusal goes to the
 * caller's own tenant; an unverified one to the platform tenant (a tenant named by an
 * anonymous request is not trusted, and must not let anyone fill another tenant's ledger).
 */
export class AuthRefusalAuditor implements AuthAuditor {
  constructor(private readonly trail: AuditTrail) {}

  refused(refusal: AuthRefusal): void {
    const { principal } = refusal;
    const tenant = principal?.tenant ?? PLATFORM_TENANT;
    this.trail.record(
      {
        tenant,
        actor: principal ? actorOf(principal) : { kind: 'client', id: 'anonymous' },
        action: `auth.${refusal.code}`,
        resource: { type: 'route', id: `${refusal.method} ${refusal.path}`.slice(0, 512) },
        outcome: 'denied',
        reason: refusal.code,
        details: {
          address: refusal.address,
          status: refusal.status,
          ...(refusal.requestedTenant !== undefined && { requestedTenant: refusal.requestedTenant.slice(0, 100) }),
          ...(principal && principalDetails(principal)),
        },
      },
      { aggregate: { key: `auth|${refusal.code}|${tenant}|${refusal.address}|${principal?.clientId ?? ''}` } },
    );
  }
}
