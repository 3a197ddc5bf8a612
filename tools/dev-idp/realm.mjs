// Reads a Keycloak realm export (the same file Keycloak imports in production) and answers the
// questions the dev IdP asks of it: who is this client / user, which roles, which claims.
// Only the parts of Keycloak's model that Urbis relies on are interpreted; see README.md.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;

/** Resolves `${VAR}` / `${VAR:default}` like Keycloak's import does; unresolved stays undefined. */
function resolvePlaceholders(value, env) {
  if (typeof value !== 'string') return value;
  let unresolved = false;
  const resolved = value.replace(PLACEHOLDER, (_match, name, fallback) => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (fallback !== undefined) return fallback;
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : resolved;
}

/** Keycloak ids are UUIDs; exports often omit them, so derive a stable one from the name. */
function stableUuid(seed) {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function firstAttribute(attributes, name) {
  const value = attributes?.[name];
  if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
  return value === undefined || value === null ? undefined : String(value);
}

function secretsEqual(expected, given) {
  const a = Buffer.from(String(expected));
  const b = Buffer.from(String(given));
  return a.length === b.length && timingSafeEqual(a, b);
}

const isTrue = (v) => v === true || v === 'true';

export class Realm {
  /**
   * @param {object} rep Keycloak RealmRepresentation (realm export JSON)
   * @param {{ env?: Record<string, string | undefined>, warn?: (msg: string) => void }} [options]
   */
  constructor(rep, { env = process.env, warn = () => undefined } = {}) {
    if (!rep || typeof rep.realm !== 'string' || rep.realm === '') {
      throw new Error('realm file: "realm" (the realm name) is missing');
    }
    this.name = rep.realm;
    this.accessTokenLifespan = Number(rep.accessTokenLifespan) > 0 ? Number(rep.accessTokenLifespan) : 300;
    this.realmRoles = new Set((rep.roles?.realm ?? []).map((r) => r.name));
    this.defaultClientScopes = rep.defaultDefaultClientScopes ?? [];
    this.clientScopes = new Map((rep.clientScopes ?? []).map((s) => [s.name, s]));

    /** @type {Map<string, object>} */
    this.clients = new Map();
    for (const client of rep.clients ?? []) {
      if (client.enabled === false || client.publicClient === true || client.bearerOnly === true) continue;
      const grants = [];
      if (isTrue(client.serviceAccountsEnabled)) grants.push('client_credentials');
      if (isTrue(client.directAccessGrantsEnabled)) grants.push('password');
      if (grants.length === 0) continue;
      const secret = resolvePlaceholders(client.secret, env);
      if (secret === undefined || secret === '') {
        warn(`client ${client.clientId} skipped: its secret ${JSON.stringify(client.secret)} is not set in the environment`);
        continue;
      }
      const lifespan = Number(client.attributes?.['access.token.lifespan']);
      this.clients.set(client.clientId, {
        clientId: client.clientId,
        secret,
        grants,
        accessTokenLifespan: lifespan > 0 ? lifespan : this.accessTokenLifespan,
        attributes: client.attributes ?? {},
        protocolMappers: client.protocolMappers ?? [],
        scopes: client.defaultClientScopes ?? this.defaultClientScopes,
      });
    }

    /** @type {Map<string, object>} users by lower-cased username */
    this.users = new Map();
    /** @type {Map<string, object>} service-account users by client id */
    this.serviceAccounts = new Map();
    /** @type {Map<string, object>} users by id */
    this.usersById = new Map();
    for (const rep_ of rep.users ?? []) {
      if (rep_.enabled === false) continue;
      const username = String(rep_.username).toLowerCase();
      const password = (rep_.credentials ?? []).find((c) => c.type === 'password')?.value;
      const user = {
        id: rep_.id ?? stableUuid(`${this.name}/${username}`),
        username,
        password: resolvePlaceholders(password, env),
        realmRoles: (rep_.realmRoles ?? []).filter((r) => {
          if (this.realmRoles.has(r) || r.startsWith('default-roles-') || r === 'offline_access' || r === 'uma_authorization') return true;
          warn(`user ${username}: realm role ${r} is not defined in the realm; ignored`);
          return false;
        }),
        attributes: rep_.attributes ?? {},
        serviceAccountClientId: rep_.serviceAccountClientId,
      };
      this.usersById.set(user.id, user);
      if (user.serviceAccountClientId) this.serviceAccounts.set(user.serviceAccountClientId, user);
      else this.users.set(username, user);
    }
  }

  static fromFile(path, options) {
    return new Realm(JSON.parse(readFileSync(path, 'utf8')), options);
  }

  /** The service-account user of a client; Keycloak creates one even when the export lacks it. */
  serviceAccountOf(clientId) {
    const existing = this.serviceAccounts.get(clientId);
    if (existing) return existing;
    const username = `service-account-${clientId}`.toLowerCase();
    return { id: stableUuid(`${this.name}/${username}`), username, realmRoles: [], attributes: {}, serviceAccountClientId: clientId };
  }

  /** Username/password check for the password grant; undefined when they do not match. */
  authenticateUser(username, password) {
    const user = this.users.get(String(username).toLowerCase());
    if (!user || user.password === undefined) return undefined;
    return secretsEqual(user.password, password) ? user : undefined;
  }

  /**
   * The claims Keycloak's protocol mappers would put into an access token for this client and
   * user: realm roles, preferred_username, and every user-attribute / hardcoded-claim mapper of
   * the client and of its default client scopes (client mappers win, as in Keycloak's ordering
   * by priority where client mappers run last).
   */
  claimsFor(clientId, user) {
    const client = this.clients.get(clientId);
    const claims = {
      sub: user.id,
      preferred_username: user.username,
      realm_access: { roles: [...user.realmRoles] },
    };
    const mappers = [];
    for (const scopeName of client?.scopes ?? []) {
      mappers.push(...(this.clientScopes.get(scopeName)?.protocolMappers ?? []));
    }
    mappers.push(...(client?.protocolMappers ?? []));
    for (const mapper of mappers) {
      const config = mapper.config ?? {};
      if (config['access.token.claim'] === 'false') continue;
      const claimName = config['claim.name'];
      if (!claimName || claimName.includes('.')) continue; // nested claims (realm_access.roles) are built in above
      if (mapper.protocolMapper === 'oidc-usermodel-attribute-mapper') {
        const attr = config['user.attribute'];
        const value = attr === 'username' ? user.username : firstAttribute(user.attributes, attr);
        if (value !== undefined) claims[claimName] = value;
      } else if (mapper.protocolMapper === 'oidc-hardcoded-claim-mapper') {
        claims[claimName] = config['claim.value'];
      }
    }
    // A client attribute `tenant` is the last resort for service accounts without a mapper.
    if (claims.tenant === undefined && user.serviceAccountClientId && client?.attributes?.tenant) {
      claims.tenant = String(client.attributes.tenant);
    }
    return claims;
  }

  /** Keycloak's `scope` claim: the requested scopes plus default scopes shown in the token. */
  scopeClaim(clientId, requested) {
    const client = this.clients.get(clientId);
    const names = new Set(String(requested ?? '').split(' ').filter(Boolean));
    for (const scopeName of client?.scopes ?? []) {
      const scope = this.clientScopes.get(scopeName);
      if (scope && scope.attributes?.['include.in.token.scope'] !== 'false') names.add(scopeName);
    }
    return [...names].join(' ');
  }
}
