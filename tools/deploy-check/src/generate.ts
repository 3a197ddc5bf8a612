// Regenerates the service charts, the umbrella chart's values and topics, and the realm import.
// Run it as `npx nx run deploy-check:generate`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { chartsDigest, CHART_RELEASE_PATH, committedRelease } from './chart-release';
import { generatedFiles } from './generated-files';
import { CHART_VERSION } from './services';

const workspaceRoot = resolve(__dirname, '../../..');
for (const [path, content] of Object.entries(generatedFiles(workspaceRoot))) {
  mkdirSync(dirname(join(workspaceRoot, path)), { recursive: true });
  writeFileSync(join(workspaceRoot, path), content);
}
process.stdout.write('wrote charts/<service>, charts/urbis values and topics, deploy/operators/keycloak/realm-import.yaml\n');

// Record the chart release only when its version was bumped since the last commit (or nothing
// changed), so several edits before one commit need one bump.
const digest = chartsDigest(workspaceRoot);
const recorded = committedRelease(workspaceRoot);
if (recorded.digest !== digest && recorded.version === CHART_VERSION) {
  process.stderr.write(
    `charts changed but CHART_VERSION is still ${CHART_VERSION}: bump it in tools/deploy-check/src/services.ts (and charts/urbis-lib/Chart.yaml), then run this again\n`,
  );
  process.exitCode = 1;
} else {
  writeFileSync(join(workspaceRoot, CHART_RELEASE_PATH), `${JSON.stringify({ version: CHART_VERSION, digest }, null, 2)}\n`);
}
