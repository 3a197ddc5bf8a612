import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

describe('workspace layout', () => {
  it('has the top level the platform promises', () => {
    const entries = readdirSync(root);
    for (const required of ['nx.json', 'package.json', 'apps', 'libs', 'deploy', 'charts', 'tools', 'README.md']) {
      expect(entries).toContain(required);
    }
  });

  it('tags every project with exactly one scope and one type', () => {
    const graphFile = join(mkdtempSync(join(tmpdir(), 'urbis-graph-')), 'graph.json');
    execFileSync('npx', ['nx', 'graph', `--file=${graphFile}`], { cwd: root, stdio: 'ignore' });
    const graph = JSON.parse(readFileSync(graphFile, 'utf8')) as {
      graph: { nodes: Record<string, { data: { tags?: string[] } }> };
    };
    const nodes = Object.entries(graph.graph.nodes);
    expect(nodes.map(([name]) => name)).toEqual(
      expect.arrayContaining(['connectivity', 'devices', 'integration', 'data', 'security']),
    );
    for (const [name, node] of nodes) {
      const tags = node.data.tags ?? [];
      expect({ name, scopes: tags.filter((t) => t.startsWith('scope:')).length }).toEqual({ name, scopes: 1 });
      expect({ name, types: tags.filter((t) => t.startsWith('type:')).length }).toEqual({ name, types: 1 });
    }
  }, 120_000);

  it('has a lockfile that `npm ci` accepts on these machines (every optional dependency listed)', () => {
    expect(() =>
      execFileSync(process.execPath, ['tools/lockfile/complete-optional-deps.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('compiles everything with strict TypeScript', () => {
    const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: { strict?: boolean };
    };
    expect(base.compilerOptions.strict).toBe(true);
  });
});
