// One description of a chart's values gives both its values.yaml (with Bitnami's `## @param`
// comments) and its values.schema.json, so the two cannot drift apart.
import { stringify } from 'yaml';

type JsonSchema = Record<string, unknown>;

/** A value: its default, what it means, and the JSON schema that accepts it. */
export interface Leaf {
  kind: 'leaf';
  description: string;
  default: unknown;
  schema: JsonSchema;
}

/** A group of values; unknown keys inside it are rejected. */
export interface Group {
  kind: 'group';
  description?: string;
  props: Record<string, Node>;
}

export type Node = Leaf | Group;

const leaf = (description: string, defaultValue: unknown, schema: JsonSchema): Leaf => ({
  kind: 'leaf',
  description,
  default: defaultValue,
  schema,
});

export const str = (description: string, defaultValue = '', extra: JsonSchema = {}): Leaf =>
  leaf(description, defaultValue, { type: 'string', ...extra });
export const int = (description: string, defaultValue: number, minimum = 0, maximum?: number): Leaf =>
  leaf(description, defaultValue, { type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });
export const bool = (description: string, defaultValue: boolean): Leaf => leaf(description, defaultValue, { type: 'boolean' });
export const oneOf = (description: string, defaultValue: string, values: string[]): Leaf =>
  leaf(description, defaultValue, { type: 'string', enum: values });
export const stringList = (description: string, defaultValue: string[] = [], extra: JsonSchema = {}): Leaf =>
  leaf(description, defaultValue, { type: 'array', items: { type: 'string', ...extra } });
export const intList = (description: string, defaultValue: number[]): Leaf =>
  leaf(description, defaultValue, { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 65535 } });
/** A free-form Kubernetes object (affinity, a NetworkPolicyPeer, ...): checked by the API schemas after rendering. */
export const object = (description: string, defaultValue: Record<string, unknown> = {}): Leaf =>
  leaf(description, defaultValue, { type: 'object' });
export const objectList = (description: string, defaultValue: Record<string, unknown>[] = []): Leaf =>
  leaf(description, defaultValue, { type: 'array', items: { type: 'object' } });
/** A map of strings (labels, annotations, environment). */
export const stringMap = (description: string, defaultValue: Record<string, string> = {}): Leaf =>
  leaf(description, defaultValue, { type: 'object', additionalProperties: { type: 'string' } });
export const custom = (description: string, defaultValue: unknown, schema: JsonSchema): Leaf =>
  leaf(description, defaultValue, schema);
export const group = (props: Record<string, Node>, description?: string): Group => ({ kind: 'group', props, description });

export function defaults(node: Node): unknown {
  if (node.kind === 'leaf') return node.default;
  return Object.fromEntries(Object.entries(node.props).map(([key, child]) => [key, defaults(child)]));
}

export function jsonSchema(node: Node, title?: string): JsonSchema {
  if (node.kind === 'leaf') return { description: node.description, ...node.schema };
  return {
    ...(title ? { $schema: 'http://json-schema.org/draft-07/schema#', title } : {}),
    ...(node.description ? { description: node.description } : {}),
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(node.props).map(([key, child]) => [key, jsonSchema(child)])),
  };
}

function paramLines(node: Node, path: string): string[] {
  if (node.kind === 'leaf') return [`## @param ${path} ${node.description}`];
  return Object.entries(node.props).flatMap(([key, child]) => paramLines(child, `${path}.${key}`));
}

/** values.yaml: per top-level key, its `## @param` lines, then its defaults. */
export function valuesYaml(root: Group, header: string, sections: Record<string, string> = {}): string {
  const out = [header.trimEnd(), ''];
  for (const [key, child] of Object.entries(root.props)) {
    if (sections[key]) out.push(`## @section ${sections[key]}`, '');
    out.push(...paramLines(child, key));
    out.push(stringify({ [key]: defaults(child) }, { lineWidth: 0 }).trimEnd(), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function schemaJson(root: Group, title: string, extraProperties: Record<string, JsonSchema> = {}): string {
  const schema = jsonSchema(root, title);
  schema['properties'] = { ...(schema['properties'] as Record<string, JsonSchema>), ...extraProperties };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
