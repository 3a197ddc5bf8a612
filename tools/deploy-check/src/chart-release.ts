// STYLE 9: a version bump on every chart change. The charts share one version (CHART_VERSION);
// chart-release.json records it with a digest of every chart file. Changing a chart without
// bumping the version fails the check; `deploy-check:generate` records a bumped version.
// Links out of charts/ (charts/urbis/files/asyncapi.yaml → docs/asyncapi.yaml) are left out: the
// topics are the services' contracts and move with their release, so a topic added to
// libs/contracts needs no chart release.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const CHART_RELEASE_PATH = 'tools/deploy-check/chart-release.json';

export interface ChartRelease {
  version: string;
  digest: string;
}

function chartFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) return [];
      if (entry.isDirectory()) return /^charts\/[^/]+\/charts$/.test(path.split('/').slice(-3).join('/')) ? [] : chartFiles(path);
      return entry.name === 'Chart.lock' || entry.name.endsWith('.tgz') ? [] : [path];
    })
    .sort();
}

/** Digest of every file under charts/, with each Chart.yaml's own version lines left out. */
export function chartsDigest(workspaceRoot: string): string {
  const hash = createHash('sha256');
  const root = join(workspaceRoot, 'charts');
  // files of the charts themselves, not charts/README.md
  for (const file of chartFiles(root).filter((path) => relative(root, path).includes('/'))) {
    let content = readFileSync(file, 'utf8');
    if (file.endsWith('Chart.yaml')) content = content.replace(/^\s*-?\s*version:.*$/gm, '');
    hash.update(`${relative(root, file)}\0${content}\0`);
  }
  return hash.digest('hex');
}

export function recordedRelease(workspaceRoot: string): ChartRelease {
  return JSON.parse(readFileSync(join(workspaceRoot, CHART_RELEASE_PATH), 'utf8')) as ChartRelease;
}

/** The release recorded in the last commit; the working tree's when there is no git history. */
export function committedRelease(workspaceRoot: string): ChartRelease {
  try {
    const text = execFileSync('git', ['show', `HEAD:${CHART_RELEASE_PATH}`], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return JSON.parse(text) as ChartRelease;
  } catch {
    return recordedRelease(workspaceRoot);
  }
}
