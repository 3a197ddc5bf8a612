import { findRepoRoot } from './repo-root';

/**
 * How a test runs a TypeScript file in a child Node process, with the workspace's path aliases:
 * `node <tsNodeArgs(file)>` with `tsNodeEnv()` merged into the environment. One way for every test.
 */
export function tsNodeArgs(file: string, args: readonly string[] = []): string[] {
  return ['-r', '@swc-node/register', file, ...args];
}

export function tsNodeEnv(): Record<string, string> {
  return { TS_NODE_PROJECT: `${findRepoRoot()}/tools/tsconfig.tools.json` };
}
