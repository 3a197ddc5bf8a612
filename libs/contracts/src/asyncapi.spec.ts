import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ASYNCAPI_DOCUMENT_PATH, generateAsyncApiYaml } from './asyncapi-file';
import { buildAsyncApiDocument, canonicalize, renderAsyncApiYaml } from './asyncapi';
import { dlqTopicOf, TOPIC_NAMES } from './topics';

const workspaceRoot = resolve(__dirname, '../../..');
const checkedIn = readFileSync(join(workspaceRoot, ASYNCAPI_DOCUMENT_PATH), 'utf8');

describe('AsyncAPI document', () => {
  it('is checked in exactly as generated from the contracts', () => {
    const fresh = generateAsyncApiYaml(workspaceRoot);
    if (fresh !== checkedIn) {
      throw new Error(`${ASYNCAPI_DOCUMENT_PATH} is stale: run \`npx nx run contracts:asyncapi\` and commit the result`);
    }
  });

  it('renders the same bytes whatever order the document was assembled in', () => {
    const document = buildAsyncApiDocument({ version: '1.2.3' });
    const reversed = Object.fromEntries(Object.entries(document).reverse());
    expect(renderAsyncApiYaml(reversed)).toBe(renderAsyncApiYaml(document));
    expect(Object.keys(canonicalize(document) as object).slice(0, 3)).toEqual(['asyncapi', 'info', 'defaultContentType']);
  });

  it('parses with @asyncapi/parser without errors and lists every topic and its dead-letter topic', async () => {
    // Loaded lazily: the parser (Spectral, AJV) is heavy and only this test needs it.
    const { Parser, DiagnosticSeverity } = await import('@asyncapi/parser');
    const { document, diagnostics } = await new Parser().parse(checkedIn);
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error);
    expect(errors.map((error) => `${error.path.join('.')}: ${error.message}`)).toEqual([]);
    expect(document).toBeDefined();

    const addresses = document?.channels().all().map((channel) => channel.address()) ?? [];
    for (const topic of TOPIC_NAMES) {
      expect(addresses).toContain(topic);
      expect(addresses).toContain(dlqTopicOf(topic));
    }
    expect(addresses).toHaveLength(TOPIC_NAMES.length * 2);

    const uplink = document?.channels().all().find((channel) => channel.address() === 'connectivity.uplink.received.v1');
    const message = uplink?.messages().all()[0];
    expect(message?.headers()?.properties()).toHaveProperty('traceparent');
    expect(Object.keys(message?.payload()?.properties() ?? {})).toEqual(
      expect.arrayContaining(['id', 'type', 'tenant', 'source', 'occurredAt', 'schemaVersion', 'payload']),
    );
    const sends = document?.operations().filterBySend().map((operation) => operation.id()) ?? [];
    expect(sends).toContain('connectivitySendConnectivityUplinkReceivedV1');
  }, 60_000);
});
