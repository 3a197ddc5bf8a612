import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';

import { AUTH_CONTEXT, type Principal, type RequestAuthContext, type RequestWithAuth } from './principal';
import type { Role } from './roles';

export const IS_PUBLIC = 'urbis:auth:public';
export const REQUIRED_ROLES = 'urbis:auth:roles';

/** Opens a route or controller to anonymous callers (health, metrics, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * The caller needs at least one of these realm roles. No hierarchy is implied: a route that
 * platform admins may use lists `Role.PlatformAdmin` too. Method metadata overrides the class.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLES, roles);

function authContextOf(ctx: ExecutionContext): RequestAuthContext {
  const request = ctx.switchToHttp().getRequest<RequestWithAuth>();
  const auth = request[AUTH_CONTEXT];
  if (!auth) {
    // A programming error: the route is @Public() or the AuthGuard is not installed.
    throw new Error('no authenticated principal on this request (is the route @Public() or AuthModule missing?)');
  }
  return auth;
}

/** The verified caller: `{ subject, clientId, tenant, roles }`. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => authContextOf(ctx).principal);

/** The tenant the request acts on (the caller's own, or the one it named if it may cross tenants). */
export const Tenant = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => authContextOf(ctx).tenant);
