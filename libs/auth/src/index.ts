export { AuthModule, type AuthModuleAsyncOptions } from './lib/auth.module';
export { type AuthModuleOptions, type ResolvedAuthOptions, AUTH_OPTIONS } from './lib/auth.options';
export { AuthGuard, TENANT_HEADERS, TENANT_ROUTE_PARAM } from './lib/auth.guard';
export { AuthExceptionFilter } from './lib/auth-exception.filter';
export { AuthErrorCode, AuthException, PROBLEM_TYPE_BASE, type ProblemDetails } from './lib/auth.errors';
export { CurrentPrincipal, Public, Roles, Tenant } from './lib/decorators';
export { type Principal } from './lib/principal';
export { ALL_ROLES, Role, isRole } from './lib/roles';
export { ACCESS_TOKEN_VERIFIER, type AccessTokenVerifier, type VerifiedAccessToken } from './lib/access-token-verifier';
