import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAsyncApiDocument, renderAsyncApiYaml } from './asyncapi';

/** Where the generated AsyncAPI document lives, relative to the workspace root. */
export const ASYNCAPI_DOCUMENT_PATH = 'docs/asyncapi.yaml';

/** The AsyncAPI YAML as it should be checked in, versioned like the platform (root package.json). */
export function generateAsyncApiYaml(workspaceRoot: string): string {
  const { version } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { version: string };
  return renderAsyncApiYaml(buildAsyncApiDocument({ version }));
}
