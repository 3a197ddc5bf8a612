import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

import { AUTH_CONTEXT, type Principal, type RequestAuthContext, type RequestWithAuth } from './principal';
import type { Role } from './roles';

export const IS_PUBLIC = 'urbis:auth:public';
export const REQUIRED_ROLES = 'urbis:auth:roles';

/** The OpenAPI extensions that publish each route's access rule (read by the authorization matrix test). */
export const OPENAPI_ROLES_EXTENSION = 'x-urbis-roles';
export const OPENAPI_PUBLIC_EXTENSION = 'x-urbis-public';

/**
 * Why a route takes no user token: `anonymous` (health, docs), `device-credential` (a device
 * presents its own token, checked by the route), `shared-secret` (a network server or webhook
 * presents a per-tenant secret, checked by the route).
 */
export type PublicAccess = 'anonymous' | 'device-credential' | 'shared-secret';

/** Opens a route or controller to callers without a user token, saying how else they are trusted. */
export const Public = (access: PublicAccess = 'anonymous'): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, access), ApiExtension(OPENAPI_PUBLIC_EXTENSION, access));

/**
 * The caller needs at least one of these realm roles. No hierarchy is implied: a route that
 * platform admins may use lists `Role.PlatformAdmin` too. Method metadata overrides the class.
 * The roles are also published in the route's OpenAPI operation as `x-urbis-roles`.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(REQUIRED_ROLES, roles), ApiExtension(OPENAPI_ROLES_EXTENSION, roles));

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
