import type { Role } from './roles';

/** Who is calling, as the verified access token says. */
export interface Principal {
  /** `sub`: the Keycloak user id (for a service account, its service-account user id). */
  readonly subject: string;
  /** `azp`: the client the token was issued to. */
  readonly clientId: string;
  /** `tenant` claim: the caller's own tenant. */
  readonly tenant: string;
  /** Urbis realm roles from `realm_access.roles`; Keycloak's default roles are left out. */
  readonly roles: readonly Role[];
}

/** What the guard leaves on the request for the param decorators. */
export interface RequestAuthContext {
  readonly principal: Principal;
  /** The tenant this request acts on: the requested tenant if any, else the caller's own. */
  readonly tenant: string;
}

export const AUTH_CONTEXT = Symbol.for('urbis.auth.context');

export interface RequestWithAuth {
  [AUTH_CONTEXT]?: RequestAuthContext;
}

/** The verified caller and tenant the guard left on a request, if it checked one (for interceptors, e.g. @urbis/audit). */
export function requestAuthContext(request: unknown): RequestAuthContext | undefined {
  return typeof request === 'object' && request !== null ? (request as RequestWithAuth)[AUTH_CONTEXT] : undefined;
}
