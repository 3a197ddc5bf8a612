// An OpenID provider (oidc-provider 9) dressed as Keycloak: mounted at /realms/<realm>, with
// Keycloak's endpoint paths and Keycloak-shaped RS256 access tokens, driven by a realm export.
import { generateKeyPairSync, createPrivateKey, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import Provider, { errors } from 'oidc-provider';

import { Realm } from './realm.mjs';

const OIDC = '/protocol/openid-connect';
const ROUTES = {
  authorization: `${OIDC}/auth`,
  token: `${OIDC}/token`,
  jwks: `${OIDC}/certs`,
  revocation: `${OIDC}/revoke`,
  end_session: `${OIDC}/logout`,
  pushed_authorization_request: `${OIDC}/ext/par/request`,
  userinfo: `${OIDC}/userinfo`,
};
// Every access token is minted for this one resource server: a JWT with Keycloak's default
// audience "account". Services check issuer, signature, expiry and typ, not the audience.
const RESOURCE = 'urn:urbis:api';
const AUDIENCE = 'account';
const MAX_FORM_BYTES = 56 * 1024;

function loadOrCreateSigningKey(keyFile) {
  if (keyFile && existsSync(keyFile)) {
    const jwk = JSON.parse(readFileSync(keyFile, 'utf8'));
    createPrivateKey({ key: jwk, format: 'jwk' }); // fail loudly on a corrupt file
    return jwk;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  if (keyFile) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

function publicKeyBase64(jwk) {
  const { kty, n, e } = jwk;
  return createPublicKey({ key: { kty, n, e }, format: 'jwk' }).export({ format: 'der', type: 'spki' }).toString('base64');
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Keycloak accepts client_secret_basic and client_secret_post for the same client; oidc-provider
 * binds one method per client. Clients are registered as client_secret_basic, so a body-borne
 * secret is moved into the Authorization header before oidc-provider sees the request.
 */
async function normaliseClientAuthentication(req) {
  const body = await readForm(req);
  const form = parseQuery(body);
  if (typeof form.client_id === 'string' && typeof form.client_secret === 'string') {
    const id = encodeURIComponent(form.client_id);
    const secret = encodeURIComponent(form.client_secret);
    req.headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    delete form.client_secret;
    delete form.client_id;
  }
  // oidc-provider reads an already-consumed body from req.body.
  req.body = stringifyQuery(form);
  req.headers['content-length'] = String(Buffer.byteLength(req.body));
}

function buildProvider({ issuer, realm, jwk }) {
  const resourceServerInfo = (clientId) => ({
    audience: AUDIENCE,
    scope: 'openid profile email roles tenant basic offline_access',
    accessTokenFormat: 'jwt',
    accessTokenTTL: realm.clients.get(clientId)?.accessTokenLifespan ?? realm.accessTokenLifespan,
    jwt: { sign: { alg: 'RS256' } },
  });

  const provider = new Provider(issuer, {
    clients: [...realm.clients.values()].map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      // password is checked per client in its grant handler, to answer like Keycloak does
      grant_types: [...new Set([...c.grants, 'password'])],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    routes: ROUTES,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'roles', 'tenant', 'basic'],
    claims: { openid: ['sub'], profile: ['preferred_username'], tenant: ['tenant'] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource, client) => {
          if (resource !== RESOURCE) throw new errors.InvalidTarget();
          return resourceServerInfo(client.clientId);
        },
      },
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? realm.accessTokenLifespan,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? realm.accessTokenLifespan,
    },
    findAccount: (_ctx, id) => {
      const user = realm.usersById.get(id);
      return user ? { accountId: id, claims: () => ({ sub: id, preferred_username: user.username }) } : undefined;
    },
    formats: {
      customizers: {
        jwt: (_ctx, token, jwt) => {
          const clientId = token.clientId;
          const user = token.kind === 'ClientCredentials' ? realm.serviceAccountOf(clientId) : realm.usersById.get(token.accountId);
          if (!user) throw new errors.InvalidGrant('unknown subject');
          const requested = String(token.scope ?? '').split(' ').filter((s) => s === 'openid' || s === 'offline_access' || s === 'email').join(' ');
          Object.assign(jwt.payload, realm.claimsFor(clientId, user), {
            typ: 'Bearer',
            azp: clientId,
            scope: realm.scopeClaim(clientId, requested),
          });
          if (token.kind !== 'ClientCredentials') delete jwt.payload.client_id;
          jwt.header = { typ: 'JWT' };
        },
      },
    },
  });

  // Keycloak's "Direct Access Grant"; oidc-provider deliberately has none.
  provider.registerGrantType(
    'password',
    async (ctx) => {
      const { client, params } = ctx.oidc;
      if (!realm.clients.get(client.clientId)?.grants.includes('password')) {
        throw new errors.UnauthorizedClient('Client not allowed for direct access grants');
      }
      if (!params.username || !params.password) throw new errors.InvalidRequest('missing username or password');
      const user = realm.authenticateUser(params.username, params.password);
      if (!user) throw new errors.InvalidGrant('Invalid user credentials');
      const at = new provider.AccessToken({ accountId: user.id, client, gty: 'password', scope: params.scope || undefined });
      at.resourceServer = new provider.ResourceServer(RESOURCE, resourceServerInfo(client.clientId));
      ctx.oidc.entity('AccessToken', at);
      const accessToken = await at.save();
      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: realm.scopeClaim(client.clientId, params.scope),
      };
    },
    ['username', 'password', 'scope'],
  );

  return provider;
}

/**
 * Starts the dev IdP. Listens first (so `port: 0` resolves to a real port), then builds the
 * provider with the final issuer.
 * @param {{ port?: number, host?: string, issuerHost?: string, realmFile: string, keyFile?: string, warn?: (m: string) => void }} options
 */
export async function startDevIdp({ port = 8180, host = '127.0.0.1', issuerHost, realmFile, keyFile, warn = () => undefined }) {
  const realm = Realm.fromFile(realmFile, { warn });
  const jwk = loadOrCreateSigningKey(keyFile);
  const mount = `/realms/${realm.name}`;
  let handler = null; // set once the port (and so the issuer) is known

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!handler) return sendJson(res, 503, { error: 'temporarily_unavailable' });
    if (url === mount || url === `${mount}/`) {
      return sendJson(res, 200, {
        realm: realm.name,
        public_key: publicKeyBase64(jwk),
        'token-service': `${issuer}${OIDC}`,
        'account-service': `${issuer}/account`,
        'tokens-not-before': 0,
      });
    }
    if (!url.startsWith(`${mount}/`)) {
      return sendJson(res, 404, { error: 'Realm does not exist' });
    }
    req.originalUrl = url;
    req.url = url.slice(mount.length);
    const path = req.url.split('?')[0];
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const tokenPost = req.method === 'POST' && isForm && path === ROUTES.token;
    if (tokenPost && !req.headers.authorization) {
      normaliseClientAuthentication(req).then(
        () => handler(req, res),
        () => sendJson(res, 400, { error: 'invalid_request', error_description: 'unreadable form body' }),
      );
      return undefined;
    }
    return handler(req, res);
  });
  server.keepAliveTimeout = 1000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const issuer = `http://${issuerHost ?? host}:${actualPort}${mount}`;
  const provider = buildProvider({ issuer, realm, jwk });
  provider.on('server_error', (_ctx, err) => warn(`server_error: ${err?.stack ?? err}`));
  handler = provider.callback();

  return {
    issuer,
    port: actualPort,
    realm,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
