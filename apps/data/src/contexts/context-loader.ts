import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@urbis/observability';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@urbis/runtime';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataConfig } from '../config';
import { badRequest, NgsiLdError } from '../ngsi-ld/errors';
import { ContextDocumentsRepository } from './context-documents.repository';
import { CORE_CONTEXT } from './core-context';

/** Every URL the NGSI-LD core @context has been published at: built in, never fetched. */
export const CORE_CONTEXT_URLS = new Set([
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
  ...['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '1.8', '1.9'].map(
    (version) => `https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v${version}.jsonld`,
  ),
  'https://forge.etsi.org/gitlab/NGSI-LD/NGSI-LD/raw/master/coreContext/ngsi-ld-core-context.jsonld',
  'https://forge.etsi.org/rep/NGSI-LD/NGSI-LD/raw/master/coreContext/ngsi-ld-core-context.jsonld',
]);

/** Where the broker serves its own @context documents; URLs of this shape are read from the database. */
export const HOSTED_CONTEXT_PATH = '/ngsi-ld/v1/jsonldContexts/';

const unavailable = (url: string, why: string) => new NgsiLdError('LdContextNotAvailable', `@context ${url} is not available: ${why}`);

/**
 * Resolves @context URLs to their documents' `@context` value: the core context built in,
 * documents the broker hosts, contexts preloaded from a directory (air-gapped sites), and
 * anything else fetched once, with a time and size limit, then kept as a cached document.
 */
@Injectable()
export class ContextLoader implements OnModuleInit {
  private readonly known = new Map<string, unknown>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly documents: ContextDocumentsRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const dir = this.config.contexts.preloadDir;
    if (!dir) return;
    const manifestPath = path.join(dir, 'urls.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as unknown;
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new Error(`${manifestPath} must map @context URLs to file names`);
    }
    for (const [url, file] of Object.entries(manifest)) {
      if (typeof file !== 'string') throw new Error(`${manifestPath}: the file of ${url} must be a string`);
      const document = JSON.parse(await readFile(path.resolve(dir, file), 'utf8')) as unknown;
      this.known.set(url, contextOf(document, url));
    }
    this.logger.info({ dir, contexts: this.known.size }, 'preloaded @contexts');
  }

  isCore(url: string): boolean {
    return CORE_CONTEXT_URLS.has(url) || url === this.config.ngsiLd.coreContextUrl;
  }

  /** The `@context` value of the document at `url`. */
  async load(url: string): Promise<unknown> {
    if (this.isCore(url)) return CORE_CONTEXT['@context'];
    const known = this.known.get(url);
    if (known !== undefined) return known;
    let pending = this.inflight.get(url);
    if (!pending) {
      pending = this.loadOnce(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return pending;
  }

  /** Forgets what is known of `url` (a deleted or reloaded document). */
  forget(url: string): void {
    this.known.delete(url);
  }

  private async loadOnce(url: string): Promise<unknown> {
    const stored = (await this.hostedDocument(url)) ?? (await this.documents.byUrl(url));
    if (stored) {
      const value = contextOf(stored.body, url);
      this.known.set(url, value);
      return value;
    }
    const document = await this.fetchDocument(url);
    const value = contextOf(document, url);
    await this.documents.save('Cached', url, { '@context': value });
    this.known.set(url, value);
    return value;
  }

  private async hostedDocument(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest(`@context ${JSON.stringify(url)} is not a URL`);
    }
    if (!parsed.pathname.startsWith(HOSTED_CONTEXT_PATH)) return null;
    const id = decodeURIComponent(parsed.pathname.slice(HOSTED_CONTEXT_PATH.length));
    return id && !id.includes('/') ? this.documents.byId(id) : null;
  }

  /** Fetches a remote @context: http(s) only, bounded in time and size, JSON. */
  async fetchDocument(url: string): Promise<unknown> {
    if (!/^https?:\/\//i.test(url)) throw unavailable(url, 'only http and https URLs can be fetched');
    const { fetchTimeoutMs, maxBytes } = this.config.contexts;
    let response: Response;
    const signal = AbortSignal.timeout(fetchTimeoutMs);
    try {
      response = await fetch(url, { headers: { accept: 'application/ld+json, application/json;q=0.9' }, signal, redirect: 'follow' });
    } catch (error) {
      const why = signal.aborted ? `no answer within ${fetchTimeoutMs} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw unavailable(url, why);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw unavailable(url, `the server answered ${response.status}`);
    }
    const text = await readLimited(response, maxBytes, signal).catch((error: unknown) => {
      throw unavailable(url, error instanceof Error ? error.message : String(error));
    });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw unavailable(url, 'the document is not JSON');
    }
  }
}

/** The `@context` member of a document, which must be an object (or array, or URL) to be a context. */
function contextOf(document: unknown, url: string): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document) || !('@context' in document)) {
    throw unavailable(url, 'the document has no "@context" member');
  }
  return (document as { '@context': unknown })['@context'];
}

async function readLimited(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new Error(`the document is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    if (signal.aborted) throw new Error('the document did not arrive in time');
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`the document is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
