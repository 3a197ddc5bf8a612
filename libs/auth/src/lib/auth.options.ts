import type { Role } from './roles';
import { Role as Roles } from './roles';

interface AuthOptionsBase {
  /** This service's client id in the realm (e.g. `urbis-devices`). */
  clientId: string;
  /** Also require `aud` to contain clientId. Keycloak only sets it with an audience mapper. Default false. */
  verifyAudience?: boolean;
  /**
   * Roles whose holders may act on a tenant other than their own (the tenant named in the
   * route or headers). Default: `['platform-admin']`. Pass `[]` to forbid cross-tenant requests.
   */
  crossTenantRoles?: readonly Role[];
  /** Minimum seconds between two JWKS downloads for an unknown `kid`. Default 10. */
  minTimeBetweenJwksRequests?: number;
  /** Register the guard globally (APP_GUARD). Default true; use `@Public()` for open routes. */
  global?: boolean;
  /**
   * Development and conformance testing only: requests without an Authorization header to
   * routes under `pathPrefix` act as an anonymous platform-admin on `tenant` (or the tenant they
   * name). A request that carries a token is verified as always.
   */
  anonymous?: AnonymousAccess;
}

export interface AnonymousAccess {
  pathPrefix: string;
  tenant: string;
}

export type AuthModuleOptions = AuthOptionsBase &
  (
    | { /** e.g. `http://127.0.0.1:8180/realms/urbis`; must equal the tokens' `iss` exactly. */ realmUrl: string }
    | { /** e.g. `https://sso.city.example` */ serverUrl: string; realm: string }
  );

export interface ResolvedAuthOptions {
  serverUrl: string;
  realm: string;
  realmUrl: string;
  clientId: string;
  verifyAudience: boolean;
  crossTenantRoles: readonly Role[];
  minTimeBetweenJwksRequests: number;
  global: boolean;
  anonymous?: AnonymousAccess;
}

export const AUTH_OPTIONS = Symbol.for('urbis.auth.options');

const REALM_URL = /^(https?:\/\/[^/]+(?:\/.*?)?)\/realms\/([^/]+)\/?$/;

export function resolveAuthOptions(options: AuthModuleOptions): ResolvedAuthOptions {
  let serverUrl: string;
  let realm: string;
  if ('realmUrl' in options) {
    const match = REALM_URL.exec(options.realmUrl);
    if (!match) {
      throw new Error(`auth: realmUrl must look like <server>/realms/<realm>, got ${JSON.stringify(options.realmUrl)}`);
    }
    serverUrl = match[1];
    realm = decodeURIComponent(match[2]);
  } else {
    serverUrl = options.serverUrl.replace(/\/+$/, '');
    realm = options.realm;
  }
  if (!/^https?:\/\//.test(serverUrl)) throw new Error(`auth: server URL must be http(s), got ${JSON.stringify(serverUrl)}`);
  if (!realm) throw new Error('auth: realm is empty');
  if (!options.clientId) throw new Error('auth: clientId is empty');
  return {
    serverUrl,
    realm,
    realmUrl: `${serverUrl}/realms/${realm}`,
    clientId: options.clientId,
    verifyAudience: options.verifyAudience ?? false,
    crossTenantRoles: options.crossTenantRoles ?? [Roles.PlatformAdmin],
    minTimeBetweenJwksRequests: options.minTimeBetweenJwksRequests ?? 10,
    global: options.global ?? true,
    ...(options.anonymous && { anonymous: options.anonymous }),
  };
}
