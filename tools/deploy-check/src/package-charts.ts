// `npx nx run deploy-check:package`: the umbrella chart as one file, dist/charts/urbis-<version>.tgz,
// with the service charts and the contracts' AsyncAPI document inside: what a platform team
// copies into an air-gapped network and installs with `helm upgrade --install`.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureBinaries } from './binaries';
import { packageUmbrellaChart, stageCharts } from './charts';

const workspaceRoot = resolve(__dirname, '../../..');
const out = join(workspaceRoot, 'dist/charts');
mkdirSync(out, { recursive: true });
const charts = stageCharts(workspaceRoot, ensureBinaries(workspaceRoot));
try {
  process.stdout.write(`${packageUmbrellaChart(charts, out)}\n`);
} finally {
  charts.remove();
}
