// Stages the charts in a temporary copy (so tests can alter templates) with their file://
// dependencies built offline, and renders them with helm.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Binaries } from './binaries';
import { SERVICES } from './services';

export const PROFILES = ['on-prem', 'hybrid', 'cloud'] as const;
export type Profile = (typeof PROFILES)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface StagedCharts {
  dir: string;
  /** Runs helm; resolves to stdout, throws with stderr on failure. */
  helm(args: string[]): string;
  remove(): void;
}

export function run(binary: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(binary, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'urbis-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'urbis-helm-config') },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${binary.split('/').pop()} ${args.join(' ')} failed:\n${stderr ?? ''}${stdout ?? ''}`);
  }
}

export const SERVICE_CHARTS = SERVICES.map(({ name }) => name);

export function stageCharts(workspaceRoot: string, binaries: Binaries, alter?: (dir: string) => void): StagedCharts {
  const dir = mkdtempSync(join(tmpdir(), 'urbis-charts-'));
  cpSync(join(workspaceRoot, 'charts'), dir, {
    recursive: true,
    // the copy holds the files links point at (the contracts' AsyncAPI document), as `helm package` would
    dereference: true,
    filter: (source) => !/\/charts\/[^/]+\/(charts|Chart\.lock)/.test(source.slice(workspaceRoot.length)),
  });
  alter?.(dir);
  const helm = (args: string[]) => run(binaries.helm, args, dir);
  for (const chart of SERVICE_CHARTS) helm(['dependency', 'build', chart, '--skip-refresh']);
  helm(['dependency', 'build', 'urbis', '--skip-refresh']);
  return { dir, helm, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `helm package` of the staged umbrella chart into `outDir`; returns the .tgz path. */
export function packageUmbrellaChart(charts: StagedCharts, outDir: string): string {
  const output = charts.helm(['package', 'urbis', '--destination', outDir]);
  const path = /saved it to: (\S+\.tgz)/.exec(output)?.[1];
  if (!path) throw new Error(`helm package printed no chart path:\n${output}`);
  return path;
}

export const profileValues = (workspaceRoot: string, profile: Profile) => join(workspaceRoot, 'deploy/values', `${profile}.yaml`);

export function renderProfile(charts: StagedCharts, workspaceRoot: string, profile: Profile): K8sObject[] {
  return parseManifests(
    charts.helm(['template', 'urbis', 'urbis', '--namespace', 'urbis', '-f', profileValues(workspaceRoot, profile)]),
  );
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length) throw new Error(document.errors.map(String).join('\n'));
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && typeof object === 'object');
}
