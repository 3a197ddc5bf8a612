import type { ActiveContext } from '../contexts/active-context';
import { RESERVED_ATTRIBUTE_MEMBERS, type StoredAttribute, type StoredEntity, subAttributesOf } from './stored';

/** Representations of clause 4.5: normalized, concise and simplified (keyValues). */
export type Format = 'normalized' | 'concise' | 'keyValues';

export interface LanguagePreference {
  /** Language tags in the client's order of preference; `*` matches any. */
  tags: string[];
}

export interface Projection {
  /** Expanded attribute IRIs to show; undefined: all. */
  attrs?: ReadonlySet<string>;
  /** Expanded attribute IRIs to leave out. */
  omitAttrs?: ReadonlySet<string>;
  id: boolean;
  type: boolean;
  scope: boolean;
}

export interface RenderOptions {
  context: ActiveContext;
  format: Format;
  sysAttrs: boolean;
  lang?: LanguagePreference;
  projection?: Projection;
  /** Only these instances of multi-instance attributes (`@none` = the default one). */
  datasetIds?: ReadonlySet<string>;
}

type Json = unknown;

export function renderEntity(entity: StoredEntity, options: RenderOptions): Record<string, Json> {
  const { context, projection } = options;
  const out: Record<string, Json> = {};
  if (projection?.id ?? true) out['id'] = entity.id;
  if (projection?.type ?? true) out['type'] = renderTypes(entity.types, context);
  if (entity.scopes.length > 0 && (projection?.scope ?? true)) out['scope'] = entity.scopes.length === 1 ? entity.scopes[0] : entity.scopes;
  for (const [iri, instances] of Object.entries(entity.attrs)) {
    if (projection?.attrs && !projection.attrs.has(iri)) continue;
    if (projection?.omitAttrs?.has(iri)) continue;
    const shown = options.datasetIds ? instances.filter((instance) => options.datasetIds?.has(instance.datasetId ?? '@none')) : instances;
    if (shown.length === 0) continue;
    const rendered = shown.map((instance) => renderInstance(instance, options));
    out[context.compactIri(iri)] = rendered.length === 1 ? rendered[0] : rendered;
  }
  if (options.sysAttrs && options.format !== 'keyValues') {
    out['createdAt'] = entity.createdAt;
    out['modifiedAt'] = entity.modifiedAt;
  }
  return out;
}

export function renderTypes(types: readonly string[], context: ActiveContext): string | string[] {
  const names = types.map((type) => context.compactIri(type));
  return names.length === 1 ? (names[0] as string) : names;
}

/** One attribute instance in the chosen representation. */
export function renderInstance(instance: StoredAttribute, options: RenderOptions): Json {
  const language = instance.type === 'LanguageProperty' && options.lang ? chooseLanguage(instance.languageMap ?? {}, options.lang) : undefined;
  if (options.format === 'keyValues') return language ? language.text : valueOf(instance, options.context);
  const out: Record<string, Json> = {};
  if (language) {
    if (options.format === 'normalized') out['type'] = 'Property';
    out['value'] = language.text;
    out['lang'] = language.tag;
  } else {
    if (options.format === 'normalized') out['type'] = instance.type;
    const member = valueMemberOf(instance);
    out[member] = valueOf(instance, options.context);
  }
  if (instance.objectType !== undefined) out['objectType'] = renderTypes(asArray(instance.objectType), options.context);
  if (instance.datasetId !== undefined) out['datasetId'] = instance.datasetId;
  if (instance.observedAt !== undefined) out['observedAt'] = instance.observedAt;
  if (instance.unitCode !== undefined) out['unitCode'] = instance.unitCode;
  if (options.sysAttrs) {
    out['createdAt'] = instance.createdAt;
    out['modifiedAt'] = instance.modifiedAt;
  }
  for (const [iri, sub] of subAttributesOf(instance)) out[options.context.compactIri(iri)] = renderInstance(sub, options);
  if (options.format === 'concise' && Object.keys(out).length === 1 && 'value' in out && isPlainValue(out['value'])) return out['value'];
  return out;
}

/** A concise Property may be its bare value, unless that value could be read as an attribute. */
function isPlainValue(value: Json): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return !value.some((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
  const keys = Object.keys(value);
  return !keys.some((key) => RESERVED_ATTRIBUTE_MEMBERS.has(key) || key === 'coordinates');
}

function valueMemberOf(instance: StoredAttribute): 'value' | 'object' | 'languageMap' | 'valueList' | 'objectList' | 'json' | 'vocab' {
  switch (instance.type) {
    case 'Relationship':
      return 'object';
    case 'LanguageProperty':
      return 'languageMap';
    case 'ListProperty':
      return 'valueList';
    case 'ListRelationship':
      return 'objectList';
    case 'JsonProperty':
      return 'json';
    case 'VocabProperty':
      return 'vocab';
    default:
      return 'value';
  }
}

/** The value member's content, with vocab IRIs compacted. */
export function valueOf(instance: StoredAttribute, context: ActiveContext): Json {
  switch (instance.type) {
    case 'Relationship':
      return instance.object;
    case 'LanguageProperty':
      return instance.languageMap;
    case 'ListProperty':
      return instance.valueList;
    case 'ListRelationship':
      return instance.objectList;
    case 'JsonProperty':
      return instance.json;
    case 'VocabProperty': {
      const vocab = instance.vocab ?? [];
      return Array.isArray(vocab) ? vocab.map((iri) => context.compactIri(iri)) : context.compactIri(vocab);
    }
    default:
      return instance.value;
  }
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The text of a language map for the client's `lang` preference (RFC 4647 lookup, `*` = any). */
export function chooseLanguage(map: Record<string, string | string[]>, preference: LanguagePreference): { tag: string; text: string | string[] } | undefined {
  const tags = Object.keys(map);
  if (tags.length === 0) return undefined;
  for (const wanted of preference.tags) {
    if (wanted === '*') return { tag: tags[0] as string, text: map[tags[0] as string] as string | string[] };
    const exact = tags.find((tag) => tag.toLowerCase() === wanted.toLowerCase());
    if (exact) return { tag: exact, text: map[exact] as string | string[] };
    const prefix = tags.find((tag) => tag.toLowerCase().startsWith(`${wanted.toLowerCase()}-`) || wanted.toLowerCase().startsWith(`${tag.toLowerCase()}-`));
    if (prefix) return { tag: prefix, text: map[prefix] as string | string[] };
  }
  const fallback = '@none' in map ? '@none' : (tags[0] as string);
  return { tag: fallback, text: map[fallback] as string | string[] };
}

/** The GeoJSON Feature of an entity (clause 4.5.16): its geometry from `geometryProperty` (default `location`). */
export function renderFeature(entity: StoredEntity, options: RenderOptions, geometryProperty: string): Record<string, Json> {
  const properties = renderEntity(entity, { ...options, projection: { ...(options.projection ?? { id: true, type: true, scope: true }), id: false } });
  const geometry = entity.attrs[geometryProperty]?.find((instance) => instance.type === 'GeoProperty' && instance.datasetId === undefined)?.value;
  return { id: entity.id, type: 'Feature', geometry: geometry ?? null, properties };
}
