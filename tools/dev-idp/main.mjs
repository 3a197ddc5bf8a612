#!/usr/bin/env node
// Dev IdP: stands in for Keycloak on one machine. Usage: see README.md.
//   node tools/dev-idp/main.mjs [--port 8180] [--host 127.0.0.1] [--issuer-host 127.0.0.1]
//                               [--realm-file deploy/keycloak/urbis-realm.json] [--key-file .urbis/dev-idp/key.json]
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startDevIdp } from './server.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function fail(message) {
  process.stderr.write(`dev-idp: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'issuer-host': { type: 'string' },
      'realm-file': { type: 'string' },
      'key-file': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

if (args.help) {
  process.stdout.write(
    'node tools/dev-idp/main.mjs [--port N] [--host ADDR] [--issuer-host HOST] [--realm-file FILE] [--key-file FILE]\n' +
      'env: DEV_IDP_PORT, DEV_IDP_HOST, DEV_IDP_ISSUER_HOST, DEV_IDP_REALM_FILE, DEV_IDP_KEY_FILE\n',
  );
  process.exit(0);
}

const env = process.env;
const portText = args.port ?? env.DEV_IDP_PORT ?? '8180';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${JSON.stringify(portText)}`);
const host = args.host ?? env.DEV_IDP_HOST ?? '127.0.0.1';
const issuerHost = args['issuer-host'] ?? env.DEV_IDP_ISSUER_HOST ?? host;
const realmFile = resolve(args['realm-file'] ?? env.DEV_IDP_REALM_FILE ?? resolve(repoRoot, 'deploy/keycloak/urbis-realm.json'));
const keyFileArg = args['key-file'] ?? env.DEV_IDP_KEY_FILE;
const keyFile = keyFileArg ? resolve(keyFileArg) : undefined;

let idp;
try {
  idp = await startDevIdp({
    port,
    host,
    issuerHost,
    realmFile,
    keyFile,
    warn: (m) => process.stderr.write(`dev-idp: ${m}\n`),
  });
} catch (err) {
  fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
}

process.stdout.write(`DEV-IDP ready ${idp.issuer}\n`);
process.stdout.write(`DEV-IDP clients ${[...idp.realm.clients.keys()].join(',')}\n`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`dev-idp: ${signal}, stopping\n`);
  await idp.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
