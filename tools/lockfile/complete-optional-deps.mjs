#!/usr/bin/env node
// The npm registry our machines reach serves only the platform packages they can run (a request
// for, e.g., @swc/core-darwin-arm64 answers 404). npm then leaves those optional dependencies out
// of package-lock.json, and `npm ci` refuses the lockfile as out of sync with package.json.
// This adds an entry for every optional dependency the lockfile lacks (version and `optional`
// only); `npm ci` then tries them, fails to fetch them, and skips them as it does any optional
// dependency that cannot be installed. Run it after every `npm install`:
//   node tools/lockfile/complete-optional-deps.mjs          (fix)
//   node tools/lockfile/complete-optional-deps.mjs --check  (exit 1 if something is missing)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '../../package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

/** Where node would find `name` from the package at `path`: its own node_modules, then each ancestor's. */
function resolves(path, name) {
  for (let dir = path; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (dir === '') return false;
  }
}

const missing = [];
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolves(path, name)) continue;
    missing.push(name);
    const at = packages[`node_modules/${name}`] === undefined ? `node_modules/${name}` : `${path}/node_modules/${name}`;
    packages[at] = { version, optional: true, ...(meta.dev ? { dev: true } : {}) };
  }
}

if (process.argv.includes('--check')) {
  if (missing.length > 0) {
    console.error(`package-lock.json lacks ${missing.length} optional dependencies (${missing.slice(0, 5).join(', ')}…):`);
    console.error('run node tools/lockfile/complete-optional-deps.mjs and commit package-lock.json');
    process.exit(1);
  }
} else {
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${missing.length} optional dependencies`);
}
