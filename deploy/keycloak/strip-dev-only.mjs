#!/usr/bin/env node
// Prints the realm without its development-only parts: every client whose attribute
// "urbis.dev-only" is "true" (today: urbis-dev-admin) and the service-account users of those
// clients. Production imports the output, never urbis-realm.json itself:
//   node deploy/keycloak/strip-dev-only.mjs deploy/keycloak/urbis-realm.json > urbis-realm.prod.json
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: strip-dev-only.mjs <realm.json>\n');
  process.exit(2);
}
const realm = JSON.parse(readFileSync(file, 'utf8'));
const devOnly = new Set((realm.clients ?? []).filter((c) => c.attributes?.['urbis.dev-only'] === 'true').map((c) => c.clientId));
realm.clients = (realm.clients ?? []).filter((c) => !devOnly.has(c.clientId));
realm.users = (realm.users ?? []).filter((u) => !devOnly.has(u.serviceAccountClientId));
const leftover = JSON.stringify(realm).match(/urbis-dev-secret|"urbis\.dev-only"/);
if (leftover) {
  process.stderr.write(`strip-dev-only: development-only material left in the realm: ${leftover[0]}\n`);
  process.exit(1);
}
process.stderr.write(`strip-dev-only: removed ${[...devOnly].join(', ') || 'nothing'}\n`);
process.stdout.write(`${JSON.stringify(realm, null, 2)}\n`);
