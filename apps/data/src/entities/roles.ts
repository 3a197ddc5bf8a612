import { Role } from '@urbis/auth';

/** Who may read and write context data (docs/security.md): auditors read only. */
export const READERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator, Role.Auditor];
export const WRITERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator];
