import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { createHash } from 'node:crypto';
import type { DataConfig } from '../config';
import { badRequest } from '../ngsi-ld/errors';
import { ActiveContext, ContextProcessingError, type LocalContext } from './active-context';
import { ContextDocumentsRepository } from './context-documents.repository';
import { ContextLoader, HOSTED_CONTEXT_PATH } from './context-loader';
import { CORE_CONTEXT } from './core-context';

/** Nested @context URLs a document may name before the broker gives up (cycles, runaway chains). */
const MAX_DEPTH = 8;
const CACHE_SIZE = 1000;

/**
 * The @context of a request as an ActiveContext (the client's contexts, then the core context,
 * whose protected terms always win), cached; and the URL a response links for it.
 */
@Injectable()
export class ContextService {
  readonly core = ActiveContext.from([CORE_CONTEXT['@context'] as unknown as LocalContext]);
  private readonly cache = new Map<string, ActiveContext>();
  private readonly implicitIds = new Set<string>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DataConfig,
    private readonly loader: ContextLoader,
    private readonly documents: ContextDocumentsRepository,
  ) {}

  get coreContextUrl(): string {
    return this.config.ngsiLd.coreContextUrl;
  }

  /** `value` is what a client gave: a URL, an inline context, or an array of both; undefined for none. */
  async resolve(value: unknown): Promise<ActiveContext> {
    if (value === undefined || value === null) return this.core;
    const key = typeof value === 'string' ? value : JSON.stringify(value);
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const locals = await this.flatten(value, 0);
    let active: ActiveContext;
    try {
      active = locals.length === 0 ? this.core : ActiveContext.from([...locals, CORE_CONTEXT['@context'] as unknown as LocalContext]);
    } catch (error) {
      if (error instanceof ContextProcessingError) throw badRequest(`invalid @context: ${error.message}`);
      throw error;
    }
    this.cache.set(key, active);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return active;
  }

  /**
   * The one URL a `Link` header can carry for `value`: the core context for none, the URL
   * itself for one URL, else a document the broker creates (once per distinct context) and serves.
   */
  async linkFor(value: unknown, baseUrl: string): Promise<string> {
    if (value === undefined || value === null) return this.coreContextUrl;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
    const json = JSON.stringify(value);
    const id = `implicit-${createHash('sha256').update(json).digest('hex').slice(0, 32)}`;
    if (!this.implicitIds.has(id)) {
      if (!(await this.documents.byId(id))) await this.documents.saveWithId(id, 'ImplicitlyCreated', `${baseUrl}${HOSTED_CONTEXT_PATH}${id}`, { '@context': value });
      this.implicitIds.add(id);
    }
    return `${baseUrl}${HOSTED_CONTEXT_PATH}${id}`;
  }

  /** Forgets cached resolutions (after a hosted or cached document changed). */
  invalidate(url?: string): void {
    this.cache.clear();
    if (url) this.loader.forget(url);
  }

  private async flatten(value: unknown, depth: number): Promise<LocalContext[]> {
    if (depth > MAX_DEPTH) throw badRequest(`@context nests more than ${MAX_DEPTH} documents`);
    if (value === null) return [];
    if (typeof value === 'string') {
      if (this.loader.isCore(value)) return [];
      return this.flatten(await this.loader.load(value), depth + 1);
    }
    if (Array.isArray(value)) {
      const parts = await Promise.all(value.map((item) => this.flatten(item, depth)));
      return parts.flat();
    }
    if (typeof value === 'object') {
      const local = value as LocalContext;
      const imported = local['@import'];
      if (typeof imported === 'string') return [...(await this.flatten(imported, depth + 1)), local];
      return [local];
    }
    throw badRequest('@context must be a URL, an object or an array of them');
  }
}
