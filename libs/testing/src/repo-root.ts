import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository root: the nearest directory at or above `startDir` holding `nx.json`.
 * Throws when there is none.
 */
export function findRepoRoot(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root (no nx.json above ${startDir})`);
    dir = parent;
  }
}
