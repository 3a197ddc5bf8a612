import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, type VerifiedAccessToken } from './access-token-verifier';
import { AUTH_AUDITOR, type AuthAuditor } from './auth-auditor';
import { AuthErrorCode, AuthException } from './auth.errors';
import { AUTH_OPTIONS, type ResolvedAuthOptions } from './auth.options';
import { IS_PUBLIC, REQUIRED_ROLES } from './decorators';
import { AUTH_CONTEXT, type Principal, type RequestWithAuth } from './principal';
import { isRole, Role } from './roles';

/** Where a request may name the tenant it acts on. */
export const TENANT_ROUTE_PARAM = 'tenant';
export const TENANT_HEADERS = ['ngsild-tenant', 'x-urbis-tenant'] as const;

/** The parts of an Express or Fastify request the guard reads. */
interface HttpRequestLike extends RequestWithAuth {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  method?: string;
  url?: string;
  /** Fastify's peer address (honours trustProxy); Express has it too. */
  ip?: string;
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
    @Inject(AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
    @Optional() @Inject(AUTH_AUDITOR) private readonly auditor?: AuthAuditor,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<string | undefined>(IS_PUBLIC, targets) !== undefined) return true;
    // Fail closed on transports this guard cannot check (Nest microservice or WebSocket
    // handlers): mark them @Public() where trust comes from elsewhere, e.g. broker auth.
    if (context.getType() !== 'http') return false;

    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    let principal: Principal | undefined;
    try {
      principal = this.anonymousPrincipal(request) ?? toPrincipal(await this.verifier.verify(bearerToken(request)));
      this.authorize(request, principal, targets);
      return true;
    } catch (error) {
      if (error instanceof AuthException) this.audit(request, error, principal);
      throw error;
    }
  }

  /** The anonymous caller of `options.anonymous` (development and conformance runs), when it applies. */
  private anonymousPrincipal(request: HttpRequestLike): Principal | undefined {
    const anonymous = this.options.anonymous;
    if (!anonymous || request.headers['authorization'] !== undefined) return undefined;
    if (!(request.url ?? '').startsWith(anonymous.pathPrefix)) return undefined;
    return { subject: 'anonymous', clientId: 'anonymous', tenant: anonymous.tenant, roles: [Role.PlatformAdmin] };
  }

  private authorize(request: HttpRequestLike, principal: Principal, targets: Targets): void {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets) ?? [];
    if (required.length > 0 && !required.some((role) => principal.roles.includes(role))) {
      throw new AuthException(AuthErrorCode.RoleMissing, `requires one of the roles: ${required.join(', ')}`);
    }

    request[AUTH_CONTEXT] = { principal, tenant: this.effectiveTenant(principal, requestedTenant(request)) };
  }

  private audit(request: HttpRequestLike, error: AuthException, principal: Principal | undefined): void {
    if (!this.auditor) return;
    const [named] = namedTenants(request);
    this.auditor.refused({
      code: error.code,
      status: error.getStatus(),
      ...(principal && { principal }),
      ...(named !== undefined && { requestedTenant: named }),
      method: request.method ?? 'GET',
      path: (request.url ?? '').split('?')[0] ?? '',
      address: request.ip ?? 'unknown',
    });
  }

  private effectiveTenant(principal: Principal, requested: string | undefined): string {
    if (requested === undefined || requested === principal.tenant) return principal.tenant;
    if (this.options.crossTenantRoles.some((role) => principal.roles.includes(role))) return requested;
    throw new AuthException(AuthErrorCode.TenantMismatch, `the caller's tenant may not act on tenant "${requested}"`);
  }
}

function bearerToken(request: HttpRequestLike): string {
  const header = request.headers['authorization'];
  if (header === undefined || header === '') throw new AuthException(AuthErrorCode.TokenMissing, 'no bearer token');
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) throw new AuthException(AuthErrorCode.TokenMalformed, 'Authorization header is not "Bearer <token>"');
  return match[1];
}

function toPrincipal(token: VerifiedAccessToken): Principal {
  if (typeof token.tenant !== 'string' || token.tenant === '') {
    throw new AuthException(AuthErrorCode.TenantMissing, 'token carries no tenant');
  }
  const rawRoles = token.realm_access?.roles;
  const roles = Array.isArray(rawRoles) ? rawRoles.filter(isRole) : [];
  return {
    subject: typeof token.sub === 'string' ? token.sub : '',
    clientId: typeof token.azp === 'string' ? token.azp : '',
    tenant: token.tenant,
    roles,
  };
}

/** The tenant named by the route (`:tenant`) or a tenant header; all that are present must agree. */
function requestedTenant(request: HttpRequestLike): string | undefined {
  const named = namedTenants(request);
  if (named.length > 1) {
    throw new AuthException(AuthErrorCode.TenantConflict, `request names more than one tenant: ${named.join(', ')}`);
  }
  return named[0];
}

/** Every distinct tenant the request names, route param first. */
function namedTenants(request: HttpRequestLike): string[] {
  const named = new Set<string>();
  const fromRoute = request.params?.[TENANT_ROUTE_PARAM];
  if (typeof fromRoute === 'string' && fromRoute !== '') named.add(fromRoute);
  for (const name of TENANT_HEADERS) {
    const value = request.headers[name];
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' && v.trim() !== '') named.add(v.trim());
    }
  }
  return [...named];
}
