// Regenerates docs/asyncapi.yaml from libs/contracts. Run it as `npx nx run contracts:asyncapi`.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ASYNCAPI_DOCUMENT_PATH, generateAsyncApiYaml } from '../../libs/contracts/src/asyncapi-file';

const workspaceRoot = resolve(__dirname, '../..');
writeFileSync(join(workspaceRoot, ASYNCAPI_DOCUMENT_PATH), generateAsyncApiYaml(workspaceRoot));
process.stdout.write(`wrote ${ASYNCAPI_DOCUMENT_PATH}\n`);
