import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { K8sObject } from './charts';
import { EXTERNAL_METRICS, PENDING_METRICS, RUNTIME_METRICS, SERVICE_METRICS } from './monitoring';
import { unknownFieldProblems } from './unknown-fields';
import { validateAgainstApiSchemas } from './validate';

const workspaceRoot = resolve(__dirname, '../../..');
const rules = parse(readFileSync(join(workspaceRoot, 'deploy/monitoring/prometheus-rules.yaml'), 'utf8')) as K8sObject;
const dashboard = JSON.parse(readFileSync(join(workspaceRoot, 'deploy/monitoring/dashboards/urbis-overview.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const KNOWN = new Set([...RUNTIME_METRICS, ...Object.keys(SERVICE_METRICS), ...EXTERNAL_METRICS, ...Object.keys(PENDING_METRICS)]);
const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'increase', 'max', 'histogram_quantile', 'and', 'le', 'or', 'on']);

function metricsIn(expr: string): string[] {
  // without strings, label matchers, ranges and the label lists of by (...) / without (...)
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  return (withoutStrings.match(/[a-z_][a-z0-9_]*(?=\s*(\{|\)|$|\s|\[|>|<|\/))/g) ?? []).filter(
    (word) => !PROMQL_WORDS.has(word),
  );
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'prisma-client' ? [] : sourcesUnder(path);
    return entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|test-helpers)\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('dashboards and alerts', () => {
  it('name service metrics whose instruments exist in the services', () => {
    const code = readdirSync(join(workspaceRoot, 'apps'))
      .flatMap((app) => sourcesUnder(join(workspaceRoot, 'apps', app, 'src')))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const missing = Object.entries(SERVICE_METRICS).filter(([, instrument]) => !code.includes(`'${instrument}'`));
    expect(missing).toEqual([]);
  });

  it('the PrometheusRule is valid against the Prometheus Operator schema', () => {
    expect(validateAgainstApiSchemas([rules])).toEqual([]);
    expect(unknownFieldProblems(workspaceRoot, [rules])).toEqual([]);
  });

  it('cover ingest rate, consumer lag, API latency and errors, delivery failures and device online ratio', () => {
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of ['ingest rate', 'consumer lag', 'api latency', 'api errors', 'delivery failures', 'device online ratio']) {
      expect(titles).toContain(topic);
    }
  });

  it('use only metrics that exist or are listed as pending', () => {
    const exprs = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      ...(rules['spec'] as { groups: { rules: { expr: string }[] }[] }).groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
    ];
    expect(new Set(exprs.flatMap(metricsIn))).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(exprs.flatMap(metricsIn)).toEqual(expect.arrayContaining(['up', 'kafka_consumergroup_lag', 'process_memory_usage']));
    const unknown = [...new Set(exprs.flatMap(metricsIn))].filter((metric) => !KNOWN.has(metric));
    expect(unknown).toEqual([]);
  });

  it('mark the alerts that wait for a service metric, and only those, with urbis.dev/needs', () => {
    const alerts = (rules['spec'] as { groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] }).groups.flatMap(
      (group) => group.rules,
    );
    const waiting = (expr: string) => metricsIn(expr).some((metric) => metric in PENDING_METRICS);
    expect(alerts.filter((alert) => waiting(alert.expr) !== 'urbis.dev/needs' in alert.annotations).map((alert) => alert.alert)).toEqual([]);
    expect(alerts.some((alert) => waiting(alert.expr))).toBe(Object.keys(PENDING_METRICS).length > 0);
  });
});
