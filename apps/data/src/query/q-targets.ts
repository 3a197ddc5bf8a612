import type { QValue } from './q-ast';

/**
 * Where a query term finds its target values in a stored attribute instance, shared by the
 * SQL compiler and the in-memory matcher so that both read an attribute the same way: each
 * attribute type keeps its value in its own member, and a member is looked at only when the
 * instance's `type` says it belongs there.
 */
export type Step = { key: string } | { any: true };

export interface ValueField {
  /** The instance member holding the value. */
  member: string;
  /** Attribute types whose instances keep their value in `member`. */
  types: readonly string[];
  /** Accepts `[...]` paths into the value. */
  compound: boolean;
  /** A language map: `[en]` picks a language, `[*]` (or no path) any. */
  language?: true;
  /** Relationship targets: only `==` and `!=` apply. */
  relationship?: true;
  /** Holds strings only (IRIs, language strings): other value types never match it. */
  stringsOnly?: true;
  /** A typed literal (`{"@type", "@value"}`) is compared by its `@value`. */
  typedLiteral?: true;
}

export const ATTRIBUTE_TYPES = [
  'Property',
  'GeoProperty',
  'Relationship',
  'LanguageProperty',
  'ListProperty',
  'ListRelationship',
  'JsonProperty',
  'VocabProperty',
] as const;

export const VALUE_FIELDS: readonly ValueField[] = [
  { member: 'value', types: ['Property', 'GeoProperty'], compound: true, typedLiteral: true },
  { member: 'json', types: ['JsonProperty'], compound: true },
  { member: 'valueList', types: ['ListProperty'], compound: true },
  { member: 'vocab', types: ['VocabProperty'], compound: false, stringsOnly: true },
  { member: 'languageMap', types: ['LanguageProperty'], compound: false, language: true, stringsOnly: true },
  { member: 'object', types: ['Relationship'], compound: false, relationship: true, stringsOnly: true },
  {
    member: 'objectList',
    types: ['ListRelationship'],
    compound: false,
    relationship: true,
    stringsOnly: true,
  },
];

/**
 * The accessor chains (from an instance) whose results are the candidate values of `field`
 * for the member path `path`; empty when the path cannot apply to the field.
 */
export function accessors(field: ValueField, path: readonly string[]): Step[][] {
  const head: Step = { key: field.member };
  if (field.language) {
    if (path.length === 0 || (path.length === 1 && path[0] === '*')) return [[head, { any: true }]];
    return path.length === 1 ? [[head, { key: path[0] }]] : [];
  }
  if (path.length > 0) {
    if (!field.compound) return [];
    return [[head, ...path.map((name): Step => (name === '*' ? { any: true } : { key: name }))]];
  }
  return field.typedLiteral ? [[head], [head, { key: '@value' }]] : [[head]];
}

/** Whether a query value can ever equal or order against something kept in `field`. */
export function fieldAccepts(field: ValueField, value: QValue): boolean {
  return !field.stringsOnly || value.type === 'string';
}
