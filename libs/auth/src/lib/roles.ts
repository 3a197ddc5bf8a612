/** The realm roles of the `urbis` realm (deploy/keycloak/urbis-realm.json). */
export const Role = {
  PlatformAdmin: 'platform-admin',
  TenantAdmin: 'tenant-admin',
  Operator: 'operator',
  Integrator: 'integrator',
  Auditor: 'auditor',
} as const;

export type Role = (typeof Role)[keyof typeof Role];

export const ALL_ROLES: readonly Role[] = Object.values(Role);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ALL_ROLES as readonly string[]).includes(value);
}
