/**
 * The part of JSON-LD 1.1 context processing NGSI-LD needs: term definitions (simple and
 * expanded), prefixes and compact IRIs, `@vocab`, processed in order with later contexts
 * overriding earlier ones. Expands terms to IRIs for storage and compacts IRIs back to the
 * shortest term of the client's context for responses.
 */
export interface TermDefinition {
  /** The expanded IRI (or a keyword such as `@id`). */
  id: string;
  type?: string;
  container?: string;
}

/** A JSON-LD local context: term → IRI or expanded term definition. */
export type LocalContext = Record<string, unknown>;

const KEYWORD_MEMBERS = new Set(['@version', '@protected', '@base', '@language', '@direction', '@propagate', '@import']);
/** JSON-LD 1.1: a simple term whose IRI ends with one of these may prefix compact IRIs. */
const GEN_DELIMS = new Set([':', '/', '?', '#', '[', ']', '@']);

const isKeyword = (value: string) => value.startsWith('@');

export class ContextProcessingError extends Error {}

export class ActiveContext {
  private readonly expanded = new Map<string, string>();
  private readonly compacted = new Map<string, string>();
  private reverse: Map<string, string> | undefined;
  private prefixes: [string, string][] | undefined;

  private constructor(
    private readonly terms: ReadonlyMap<string, TermDefinition>,
    readonly vocab: string | undefined,
  ) {}

  /** Processes local contexts in order (later ones override earlier term definitions). */
  static from(locals: readonly LocalContext[]): ActiveContext {
    const terms = new Map<string, TermDefinition>();
    let vocab: string | undefined;
    for (const local of locals) {
      const pending = new Map<string, unknown>();
      for (const [key, definition] of Object.entries(local)) {
        if (key === '@vocab') continue;
        if (KEYWORD_MEMBERS.has(key)) continue;
        if (isKeyword(key)) throw new ContextProcessingError(`"${key}" is not a keyword a context may define`);
        pending.set(key, definition);
      }
      const resolved = new Map<string, TermDefinition | null>();
      const resolving = new Set<string>();
      const resolve = (term: string): TermDefinition | null => {
        if (resolved.has(term)) return resolved.get(term) ?? null;
        if (resolving.has(term)) throw new ContextProcessingError(`the definition of "${term}" refers to itself`);
        resolving.add(term);
        try {
          const definition = definitionOf(term, pending.get(term), expandIn, () => expandOwn(term));
          resolved.set(term, definition);
          return definition;
        } finally {
          resolving.delete(term);
        }
      };
      const expandIn = (value: string): string => {
        if (isKeyword(value)) return value;
        if (pending.has(value)) {
          const own = resolve(value);
          if (own) return own.id;
        }
        const known = terms.get(value);
        if (known) return known.id;
        return value.includes(':') ? expandCompact(value) : vocab !== undefined ? vocab + value : value;
      };
      const expandCompact = (value: string): string => {
        const colon = value.indexOf(':');
        const prefix = value.slice(0, colon);
        const suffix = value.slice(colon + 1);
        if (colon === 0 || prefix === '_' || suffix.startsWith('//')) return value;
        const prefixDefinition = pending.has(prefix) ? resolve(prefix) : terms.get(prefix);
        return prefixDefinition ? prefixDefinition.id + suffix : value;
      };
      // A term defined without "@id" names itself: a compact or absolute IRI, else @vocab-relative.
      const expandOwn = (term: string): string => (term.includes(':') ? expandCompact(term) : vocab !== undefined ? vocab + term : term);
      if ('@vocab' in local) {
        const value = local['@vocab'];
        if (value === null) vocab = undefined;
        else if (typeof value === 'string') vocab = expandIn(value);
        else throw new ContextProcessingError('"@vocab" must be a string or null');
      }
      for (const term of pending.keys()) resolve(term);
      for (const [term, definition] of resolved) {
        if (definition === null) terms.delete(term);
        else terms.set(term, definition);
      }
    }
    return new ActiveContext(terms, vocab);
  }

  termDefinition(term: string): TermDefinition | undefined {
    return this.terms.get(term);
  }

  /** Vocabulary-relative IRI expansion (attribute names, entity types, vocab values). */
  expandTerm(term: string): string {
    let iri = this.expanded.get(term);
    if (iri === undefined) {
      iri = this.expandUncached(term);
      this.expanded.set(term, iri);
    }
    return iri;
  }

  /** The shortest way the client's context names `iri`: a term, a @vocab suffix, a compact IRI, or the IRI. */
  compactIri(iri: string): string {
    let term = this.compacted.get(iri);
    if (term === undefined) {
      term = this.compactUncached(iri);
      this.compacted.set(iri, term);
    }
    return term;
  }

  private expandUncached(term: string): string {
    const known = this.terms.get(term);
    if (known) return known.id;
    const colon = term.indexOf(':');
    if (colon > 0) {
      const prefix = term.slice(0, colon);
      const suffix = term.slice(colon + 1);
      if (prefix === '_' || suffix.startsWith('//')) return term;
      const prefixDefinition = this.terms.get(prefix);
      return prefixDefinition ? prefixDefinition.id + suffix : term;
    }
    return this.vocab !== undefined ? this.vocab + term : term;
  }

  private compactUncached(iri: string): string {
    const exact = this.reverseIndex().get(iri);
    if (exact !== undefined) return exact;
    if (this.vocab !== undefined && iri.startsWith(this.vocab)) {
      const suffix = iri.slice(this.vocab.length);
      if (suffix !== '' && !this.terms.has(suffix) && !suffix.includes(':')) return suffix;
    }
    let best: string | undefined;
    for (const [prefix, prefixIri] of this.prefixList()) {
      if (!iri.startsWith(prefixIri) || iri.length === prefixIri.length) continue;
      const candidate = `${prefix}:${iri.slice(prefixIri.length)}`;
      const clash = this.terms.get(candidate);
      if (clash && clash.id !== iri) continue;
      if (best === undefined || candidate.length < best.length || (candidate.length === best.length && candidate < best)) best = candidate;
    }
    return best ?? iri;
  }

  private reverseIndex(): Map<string, string> {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const [term, definition] of this.terms) {
        if (isKeyword(definition.id)) continue;
        const current = this.reverse.get(definition.id);
        if (current === undefined || term.length < current.length || (term.length === current.length && term < current)) {
          this.reverse.set(definition.id, term);
        }
      }
    }
    return this.reverse;
  }

  private prefixList(): [string, string][] {
    this.prefixes ??= [...this.terms]
      .filter(([term, definition]) => !term.includes(':') && !isKeyword(definition.id) && GEN_DELIMS.has(definition.id.slice(-1)))
      .map(([term, definition]) => [term, definition.id]);
    return this.prefixes;
  }
}

function definitionOf(
  term: string,
  raw: unknown,
  expand: (value: string) => string,
  expandOwn: () => string,
): TermDefinition | null {
  if (raw === null) return null;
  if (typeof raw === 'string') return { id: expand(raw) };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ContextProcessingError(`the definition of "${term}" must be a string, an object or null`);
  }
  const definition = raw as Record<string, unknown>;
  const id = definition['@id'];
  if (id === null) return null;
  if (id !== undefined && typeof id !== 'string') throw new ContextProcessingError(`"@id" of "${term}" must be a string`);
  const type = definition['@type'];
  const container = definition['@container'];
  const result: TermDefinition = { id: id === undefined ? expandOwn() : expand(id) };
  if (typeof type === 'string') result.type = isKeyword(type) ? type : expand(type);
  if (typeof container === 'string') result.container = container;
  return result;
}
