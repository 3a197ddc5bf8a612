/**
 * How the broker keeps an entity: every name expanded to its IRI with the @context of the
 * request that wrote it, so that clients using different contexts see the same data.
 *
 * `entity.attrs` (JSONB) maps each attribute IRI to its instances: the default instance (no
 * `datasetId`) and one per `datasetId`. Sub-attributes sit inside an instance under their
 * expanded IRI; reserved members (`type`, `value`, `observedAt`, ...) never contain a colon,
 * expanded IRIs always do, so the two never collide.
 */
export type AttributeType =
  | 'Property'
  | 'GeoProperty'
  | 'Relationship'
  | 'LanguageProperty'
  | 'ListProperty'
  | 'ListRelationship'
  | 'JsonProperty'
  | 'VocabProperty';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface StoredAttribute {
  type: AttributeType;
  /** Property: any JSON (typed literals stay `{ "@type", "@value" }`); GeoProperty: a GeoJSON geometry. */
  value?: JsonValue;
  /** Relationship: the target entity id(s), as given (URIs are not expanded). */
  object?: string | string[];
  /** Relationship: expanded type IRI(s) of the target. */
  objectType?: string | string[];
  /** LanguageProperty: language tag → string(s); `@none` for no language. */
  languageMap?: Record<string, string | string[]>;
  /** ListProperty: the ordered values. */
  valueList?: JsonValue[];
  /** ListRelationship: the ordered target entity ids. */
  objectList?: string[];
  /** JsonProperty: JSON kept verbatim, never interpreted as JSON-LD. */
  json?: JsonValue;
  /** VocabProperty: expanded IRI(s). */
  vocab?: string | string[];
  datasetId?: string;
  observedAt?: string;
  unitCode?: string;
  createdAt: string;
  modifiedAt: string;
  /** Sub-attributes, keyed by expanded IRI. */
  [subAttribute: string]: unknown;
}

export interface StoredEntity {
  id: string;
  /** Expanded type IRIs (an entity may have several). */
  types: string[];
  /** Scopes, e.g. `/Madrid/Gardens`; empty when none. */
  scopes: string[];
  /** Attribute IRI → its instances (the default one first, then by datasetId). */
  attrs: Record<string, StoredAttribute[]>;
  createdAt: string;
  modifiedAt: string;
}

/** Members of an attribute instance that are not sub-attributes. */
export const RESERVED_ATTRIBUTE_MEMBERS = new Set([
  'type',
  'value',
  'object',
  'objectType',
  'languageMap',
  'valueList',
  'objectList',
  'json',
  'vocab',
  'datasetId',
  'observedAt',
  'unitCode',
  'createdAt',
  'modifiedAt',
  'instanceId',
  'lang',
]);

/** The sub-attributes of an instance, by expanded IRI. */
export function subAttributesOf(instance: StoredAttribute): [string, StoredAttribute][] {
  return Object.entries(instance).filter(([key]) => !RESERVED_ATTRIBUTE_MEMBERS.has(key)) as [string, StoredAttribute][];
}
