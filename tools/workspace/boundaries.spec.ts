import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

// The module boundaries are only real if lint fails when they are crossed. These tests run the
// workspace's ESLint, as `nx lint` does, on probe files placed inside real projects.
const root = resolve(__dirname, '../..');
const BOUNDARY_RULE = '@nx/enforce-module-boundaries';

interface LintResult {
  messages: { ruleId: string | null; severity: number; message: string }[];
}

function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  return new Promise((done, fail) => {
    const eslint = execFile(
      'npx',
      ['eslint', '--format', 'json', '--stdin', '--stdin-filename', filePath],
      { cwd: root, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout) => {
        // ESLint exits 1 when it finds errors; only a missing or unparsable report is a failure here.
        try {
          const [result] = JSON.parse(stdout) as LintResult[];
          done(result.messages.filter((m) => m.ruleId === BOUNDARY_RULE && m.severity === 2).map((m) => m.message));
        } catch (parseError) {
          fail(error ?? parseError);
        }
      },
    );
    eslint.stdin?.end(code);
  });
}

describe('module boundaries', () => {
  it('fails lint when an app imports another app', async () => {
    const errors = await boundaryErrors(
      'apps/devices/src/boundary-probe.ts',
      "import { AppModule } from '../../data/src/app.module';\nexport const probe = AppModule;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it('fails lint when a shared lib imports an app', async () => {
    const errors = await boundaryErrors(
      'libs/contracts/src/boundary-probe.ts',
      "import { AppModule } from '../../../apps/devices/src/app.module';\nexport const probe = AppModule;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);

  it('lets an app import a shared lib through its alias', async () => {
    const errors = await boundaryErrors(
      'apps/devices/src/boundary-probe.ts',
      "import { TOPICS } from '@urbis/contracts';\nexport const probe = TOPICS;\n",
    );
    expect(errors).toEqual([]);
  }, 60_000);
});
