import type { ActiveContext } from '../contexts/active-context';
import { badRequest } from './errors';
import { QueryError, validateGeometry } from '../query';
import type { AttributeType, JsonValue, StoredAttribute } from './stored';

/**
 * Turns NGSI-LD payloads (normalized or concise, clause 4.5) into the stored shape: every name
 * expanded with the request's @context, every member checked. Each error says what is wrong
 * and where, as a 400 BadRequestData.
 */

export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  'Property',
  'GeoProperty',
  'Relationship',
  'LanguageProperty',
  'ListProperty',
  'ListRelationship',
  'JsonProperty',
  'VocabProperty',
];

/** The member that carries each attribute type's value. */
export const VALUE_MEMBER: Record<AttributeType, keyof StoredAttribute> = {
  Property: 'value',
  GeoProperty: 'value',
  Relationship: 'object',
  LanguageProperty: 'languageMap',
  ListProperty: 'valueList',
  ListRelationship: 'objectList',
  JsonProperty: 'json',
  VocabProperty: 'vocab',
};

/** NGSI-LD 1.8's literal for "delete this" in merge patches. */
export const NGSI_LD_NULL = 'urn:ngsi-ld:null';

const ENTITY_MEMBERS = new Set(['id', 'type', '@id', '@type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);
const VALUE_MEMBERS = new Set(Object.values(VALUE_MEMBER));
/** Names may be terms, compact IRIs or IRIs, but never carry what the query languages use as syntax. */
const FORBIDDEN_IN_NAMES = /[\s<>"'=;()[\]{}\\^`|]/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/;
const SCOPE = /^\/[^/#+\s]+(\/[^/#+\s]+)*$/;
const LANGUAGE_TAG = /^(@none|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/;
const MAX_DEPTH = 16;

export const isUri = (value: unknown): value is string => typeof value === 'string' && value.length <= 2048 && URI.test(value);

export function assertName(name: string, what: string): void {
  if (name === '' || name.length > 512 || FORBIDDEN_IN_NAMES.test(name)) {
    throw badRequest(`${what} ${JSON.stringify(name)} is not a valid name (no spaces or any of <>"'=;()[]{}\\^\`|)`);
  }
}

export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface ParseOptions {
  context: ActiveContext;
  /** The time the change happens: createdAt/modifiedAt of what is written. */
  now: string;
  /** Merge patches: `null` / "urn:ngsi-ld:null" mean "delete", kept as `null` in the result. */
  allowNull?: boolean;
  /** Partial attribute updates: the value member and the type may be left out. */
  partial?: boolean;
}

export interface ParsedEntity {
  id?: string;
  types?: string[];
  scopes?: string[];
  /** Attribute IRI → instances; `null` (merge only) deletes the attribute. */
  attrs: Record<string, StoredAttribute[] | null>;
}

/** An entity (create, replace) or an entity fragment (merge, batch update): id and type required when asked. */
export function parseEntity(body: unknown, options: ParseOptions & { requireId: boolean; requireType: boolean }): ParsedEntity {
  if (!isObject(body)) throw badRequest('an entity must be a JSON object');
  const parsed: ParsedEntity = { attrs: {} };
  const id = body['id'] ?? body['@id'];
  if (id !== undefined) {
    if (!isUri(id)) throw badRequest(`entity id ${JSON.stringify(id)} is not a URI`);
    parsed.id = id;
  } else if (options.requireId) {
    throw badRequest('an entity needs an "id"');
  }
  const type = body['type'] ?? body['@type'];
  if (type !== undefined) parsed.types = parseTypes(type, options.context);
  else if (options.requireType) throw badRequest('an entity needs a "type"');
  if (body['scope'] !== undefined) parsed.scopes = parseScopes(body['scope']);
  for (const [name, raw] of Object.entries(body)) {
    if (ENTITY_MEMBERS.has(name)) continue;
    assertName(name, 'attribute name');
    parsed.attrs[options.context.expandTerm(name)] = parseAttributeValue(name, raw, options, 0);
  }
  return parsed;
}

/** The attributes of an /attrs request: an object of attributes (its `@context` already taken out). */
export function parseAttributes(body: unknown, options: ParseOptions): Record<string, StoredAttribute[] | null> {
  if (!isObject(body)) throw badRequest('the attributes must be a JSON object');
  const attrs: Record<string, StoredAttribute[] | null> = {};
  for (const [name, raw] of Object.entries(body)) {
    if (name === '@context') continue;
    if (ENTITY_MEMBERS.has(name)) throw badRequest(`"${name}" is not an attribute`);
    assertName(name, 'attribute name');
    attrs[options.context.expandTerm(name)] = parseAttributeValue(name, raw, options, 0);
  }
  return attrs;
}

/** One attribute's value as given: one instance, several (datasetId), or null (merge: delete). */
export function parseAttributeValue(name: string, raw: unknown, options: ParseOptions, depth: number): StoredAttribute[] | null {
  if (raw === null || raw === NGSI_LD_NULL) {
    if (options.allowNull) return null;
    throw badRequest(`attribute "${name}" has no value (null)`);
  }
  if (Array.isArray(raw) && raw.length > 0 && raw.every((item) => isObject(item) && (typeof item['type'] === 'string' || 'datasetId' in item) && isInstanceShaped(item))) {
    const instances = raw.map((item) => parseInstance(name, item, options, depth));
    const seen = new Set<string>();
    for (const instance of instances) {
      const key = instance.datasetId ?? '';
      if (seen.has(key)) throw badRequest(`attribute "${name}" has two instances ${key ? `with datasetId ${key}` : 'without datasetId'}`);
      seen.add(key);
    }
    return instances;
  }
  return [parseInstance(name, raw, options, depth)];
}

function isInstanceShaped(item: Record<string, unknown>): boolean {
  return typeof item['type'] === 'string' ? ATTRIBUTE_TYPES.includes(item['type'] as AttributeType) : [...VALUE_MEMBERS].some((member) => member in item);
}

/** The attribute type a concise instance stands for (clause 4.5.18), from the members it has. */
function conciseType(raw: Record<string, unknown>): AttributeType | undefined {
  if ('object' in raw) return 'Relationship';
  if ('languageMap' in raw) return 'LanguageProperty';
  if ('valueList' in raw) return 'ListProperty';
  if ('objectList' in raw) return 'ListRelationship';
  if ('json' in raw) return 'JsonProperty';
  if ('vocab' in raw) return 'VocabProperty';
  if ('value' in raw) return isGeometry(raw['value']) ? 'GeoProperty' : 'Property';
  return undefined;
}

export function parseInstance(name: string, raw: unknown, options: ParseOptions, depth: number): StoredAttribute {
  if (depth > MAX_DEPTH) throw badRequest(`attribute "${name}" nests sub-attributes more than ${MAX_DEPTH} levels deep`);
  const stamp = { createdAt: options.now, modifiedAt: options.now };
  if (!isObject(raw)) return { type: 'Property', value: raw as JsonValue, ...stamp };
  if (isGeometry(raw)) return { type: 'GeoProperty', value: geometryOf(name, raw), ...stamp };
  const declared = raw['type'];
  let type: AttributeType;
  if (declared === undefined) {
    const inferred = conciseType(raw);
    // A JSON object with no NGSI-LD member is the value of a Property (concise form), except in
    // a partial update, where it changes only the members it names.
    if (!inferred && !options.partial) return { type: 'Property', value: raw as JsonValue, ...stamp };
    type = inferred ?? ('' as AttributeType);
  } else if (typeof declared === 'string' && ATTRIBUTE_TYPES.includes(declared as AttributeType)) {
    type = declared as AttributeType;
  } else {
    throw badRequest(`attribute "${name}" has type ${JSON.stringify(declared)}; expected one of ${ATTRIBUTE_TYPES.join(', ')}`);
  }
  const instance: StoredAttribute = { type, ...stamp };
  if (!type) delete (instance as Partial<StoredAttribute>).type;
  else if (!(options.partial && raw[VALUE_MEMBER[type]] === undefined)) setValue(instance, name, raw, options);
  for (const [member, value] of Object.entries(raw)) {
    if (member === 'type' || (type && member === VALUE_MEMBER[type])) continue;
    switch (member) {
      case 'datasetId':
        if (!isUri(value)) throw badRequest(`datasetId of "${name}" must be a URI`);
        instance.datasetId = value;
        break;
      case 'observedAt':
        if (!isDateTime(value)) throw badRequest(`observedAt of "${name}" must be a date-time (ISO 8601), not ${JSON.stringify(value)}`);
        instance.observedAt = value;
        break;
      case 'unitCode':
        if (typeof value !== 'string' || value === '') throw badRequest(`unitCode of "${name}" must be a non-empty string`);
        instance.unitCode = value;
        break;
      case 'objectType':
        if (type && type !== 'Relationship' && type !== 'ListRelationship') throw badRequest(`"${name}": only relationships have an objectType`);
        instance.objectType = parseTypes(value, options.context, 'objectType');
        break;
      case 'createdAt':
      case 'modifiedAt':
      case 'deletedAt':
      case 'instanceId':
      case 'lang':
      case '@context':
        break;
      default: {
        if (VALUE_MEMBERS.has(member as keyof StoredAttribute)) {
          throw badRequest(`attribute "${name}"${type ? ` of type ${type}` : ''} cannot have a "${member}" member`);
        }
        assertName(member, `sub-attribute of "${name}":`);
        if (value === null || value === NGSI_LD_NULL) {
          if (options.allowNull) {
            instance[options.context.expandTerm(member)] = null;
            break;
          }
          throw badRequest(`sub-attribute "${member}" of "${name}" has no value (null)`);
        }
        const sub = parseInstance(`${name}.${member}`, value, options, depth + 1);
        instance[options.context.expandTerm(member)] = sub;
      }
    }
  }
  return instance;
}

function setValue(instance: StoredAttribute, name: string, raw: Record<string, unknown>, options: ParseOptions): void {
  const member = VALUE_MEMBER[instance.type];
  const value = raw[member];
  const missing = () => badRequest(`attribute "${name}" of type ${instance.type} needs a "${member}"`);
  if (value === undefined) throw missing();
  if (value === null || value === NGSI_LD_NULL) {
    if (options.allowNull) {
      instance[member] = null as never;
      return;
    }
    throw badRequest(`the ${member} of "${name}" is null`);
  }
  switch (instance.type) {
    case 'Property':
      instance.value = value as JsonValue;
      return;
    case 'GeoProperty':
      instance.value = geometryOf(name, value);
      return;
    case 'Relationship':
      if (isUri(value)) instance.object = value;
      else if (Array.isArray(value) && value.length > 0 && value.every(isUri)) instance.object = value;
      else throw badRequest(`the object of relationship "${name}" must be a URI (or a list of URIs)`);
      return;
    case 'ListRelationship': {
      if (!Array.isArray(value)) throw badRequest(`the objectList of "${name}" must be an array`);
      const targets = value.map((item) => (isObject(item) ? item['object'] : item));
      if (!targets.every(isUri)) throw badRequest(`every entry of the objectList of "${name}" must be a URI`);
      instance.objectList = targets;
      return;
    }
    case 'LanguageProperty': {
      if (!isObject(value)) throw badRequest(`the languageMap of "${name}" must be an object of language tags`);
      for (const [tag, text] of Object.entries(value)) {
        if (!LANGUAGE_TAG.test(tag)) throw badRequest(`"${tag}" in the languageMap of "${name}" is not a language tag`);
        if (typeof text !== 'string' && !(Array.isArray(text) && text.every((t) => typeof t === 'string'))) {
          throw badRequest(`the languageMap of "${name}" maps "${tag}" to something other than text`);
        }
      }
      instance.languageMap = value as Record<string, string | string[]>;
      return;
    }
    case 'ListProperty':
      if (!Array.isArray(value)) throw badRequest(`the valueList of "${name}" must be an array`);
      instance.valueList = value as JsonValue[];
      return;
    case 'JsonProperty':
      instance.json = value as JsonValue;
      return;
    case 'VocabProperty':
      if (typeof value === 'string') instance.vocab = expandVocab(value, name, options.context);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
        instance.vocab = value.map((v) => expandVocab(v, name, options.context));
      } else throw badRequest(`the vocab of "${name}" must be a term or a list of terms`);
      return;
  }
}

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

/** Looks like a GeoJSON geometry (a concise GeoProperty): a geometry type and coordinates (or geometries). */
export function isGeometry(value: unknown): boolean {
  return isObject(value) && typeof value['type'] === 'string' && GEOMETRY_TYPES.has(value['type']) && ('coordinates' in value || 'geometries' in value);
}

/** A valid GeoJSON geometry, in canonical form; 400 saying what is wrong otherwise. */
export function geometryOf(name: string, value: unknown): JsonValue {
  try {
    return validateGeometry(value) as unknown as JsonValue;
  } catch (error) {
    if (error instanceof QueryError) throw badRequest(`"${name}" is not a valid GeoJSON geometry: ${error.message}`);
    throw error;
  }
}

function expandVocab(term: string, name: string, context: ActiveContext): string {
  assertName(term, `vocab of "${name}":`);
  return context.expandTerm(term);
}

export function parseTypes(value: unknown, context: ActiveContext, what = 'type'): string[] {
  const names = Array.isArray(value) ? value : [value];
  if (names.length === 0) throw badRequest(`${what} must not be empty`);
  return [
    ...new Set(
      names.map((name) => {
        if (typeof name !== 'string') throw badRequest(`${what} must be a string or a list of strings`);
        assertName(name, what);
        return context.expandTerm(name);
      }),
    ),
  ];
}

export function parseScopes(value: unknown): string[] {
  const scopes = Array.isArray(value) ? value : [value];
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE.test(scope)) throw badRequest(`scope ${JSON.stringify(scope)} must look like /Madrid/Gardens`);
  }
  return [...new Set(scopes as string[])];
}
