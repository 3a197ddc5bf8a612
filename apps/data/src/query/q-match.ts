import type { StoredEntity } from '../ngsi-ld/stored';
import type { QComparison, QNode, QOperand, QOperator, QPatternMatch, QTarget, QValue } from './q-ast';
import { accessors, ATTRIBUTE_TYPES, fieldAccepts, type Step, VALUE_FIELDS } from './q-targets';
import { compareKeys, temporalKey } from './temporal';

type AttributeTarget = Extract<QTarget, { kind: 'attribute' }>;
type Json = unknown;

/**
 * Evaluates a parsed q against one stored entity, with the semantics of `qToSql` (the two are
 * tested against each other): a term holds when some instance of the attribute satisfies it;
 * `!=` and `!~=` hold when the target exists and no value equals (matches).
 */
export function matchesQ(query: QNode, entity: StoredEntity): boolean {
  switch (query.kind) {
    case 'and':
      return query.operands.every((operand) => matchesQ(operand, entity));
    case 'or':
      return query.operands.some((operand) => matchesQ(operand, entity));
    case 'exists':
      return exists(query.target, entity) !== query.negated;
    case 'compare':
      return compare(query, entity);
    case 'pattern':
      return pattern(query, entity);
  }
}

function exists(target: QTarget, entity: StoredEntity): boolean {
  if (target.kind === 'entity') return true;
  const instances = targetInstances(target, entity);
  if (target.metadata !== undefined)
    return instances.some((instance) => instance[target.metadata as string] !== undefined);
  if (target.member.length === 0) return instances.length > 0;
  return instances.some((instance) =>
    VALUE_FIELDS.some(
      (field) =>
        field.types.includes(instance['type'] as string) &&
        accessors(field, target.member).some((steps) => walk(instance, steps).length > 0),
    ),
  );
}

function compare(term: QComparison, entity: StoredEntity): boolean {
  const { target, operator, operand } = term;
  if (operator === '!=') return exists(target, entity) && !compare({ ...term, operator: '==' }, entity);
  if (target.kind === 'entity') {
    const key = temporalKey('dateTime', entity[target.member]);
    if (key === undefined) return false;
    return satisfies(
      operand,
      operator,
      (value) => value.type === 'dateTime',
      (value) => (value.type === 'dateTime' ? Math.sign(compareKeys(key, value.key)) : undefined),
    );
  }
  const ordering = operator !== '==';
  return someCandidate(target, entity, ordering, (value, accepts) =>
    satisfies(operand, operator, accepts, (query) => order(value, query)),
  );
}

function pattern(term: QPatternMatch, entity: StoredEntity): boolean {
  const target = term.target as AttributeTarget;
  const regex = new RegExp(term.pattern, term.ignoreCase ? 'i' : '');
  const matched = someCandidate(target, entity, true, (value) => typeof value === 'string' && regex.test(value));
  return term.negated ? exists(target, entity) && !matched : matched;
}

/**
 * Whether the operand holds for one candidate: `order(query)` compares the candidate with a
 * query value (undefined when their types differ); `accepts` says whether the field the
 * candidate came from can hold such a value at all.
 */
function satisfies(
  operand: QOperand,
  operator: Exclude<QOperator, '!='>,
  accepts: (value: QValue) => boolean,
  order: (query: QValue) => number | undefined,
): boolean {
  if (operand.kind === 'range') {
    if (!accepts(operand.from)) return false;
    const low = order(operand.from);
    const high = order(operand.to);
    return low !== undefined && high !== undefined && low >= 0 && high <= 0;
  }
  const holds = (value: QValue): boolean => {
    if (!accepts(value)) return false;
    const c = order(value);
    if (c === undefined) return false;
    switch (operator) {
      case '==':
        return c === 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
    }
  };
  return operand.kind === 'value' ? holds(operand.value) : operand.values.some(holds);
}

/** Candidate (stored) value against a query value: <0, 0, >0, or undefined if incomparable. */
function order(candidate: Json, query: QValue): number | undefined {
  switch (query.type) {
    case 'number':
      return typeof candidate === 'number' ? Math.sign(candidate - query.value) : undefined;
    case 'boolean':
      return typeof candidate === 'boolean'
        ? candidate === query.value
          ? 0
          : candidate
            ? 1
            : -1
        : undefined;
    case 'string':
      return typeof candidate === 'string' ? compareCodePoints(candidate, query.value) : undefined;
    default: {
      if (typeof candidate !== 'string') return undefined;
      const key = temporalKey(query.type, candidate);
      return key === undefined ? undefined : Math.sign(compareKeys(key, query.key));
    }
  }
}

/** PostgreSQL's jsonpath orders strings by code point; JavaScript's `<` by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const d = (left[i].codePointAt(0) ?? 0) - (right[i].codePointAt(0) ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(left.length - right.length);
}

type Accepts = (value: QValue) => boolean;

const ACCEPTS_ANY: Accepts = () => true;

/**
 * Whether `test` holds for some value the target holds, given with the field rule it came under.
 * Subscriptions run this for every candidate change, so the common term — a Property's plain
 * value, no path — is read directly; everything else goes through the field rules.
 */
function someCandidate(target: AttributeTarget, entity: StoredEntity, ordering: boolean, test: (value: Json, accepts: Accepts) => boolean): boolean {
  const plain = target.metadata === undefined && target.member.length === 0;
  for (const instance of targetInstances(target, entity)) {
    if (target.metadata !== undefined) {
      for (const value of unwrap(instance[target.metadata])) if (test(value, ACCEPTS_ANY)) return true;
      continue;
    }
    const type = instance['type'];
    const value = instance['value'];
    // What the field rules give for it: the value itself (no array to unwrap, no @value to read), accepting anything.
    if (plain && (type === 'Property' || type === 'GeoProperty') && (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')) {
      if (test(value, ACCEPTS_ANY)) return true;
      continue;
    }
    for (const field of VALUE_FIELDS) {
      if (!field.types.includes(type as string) || (ordering && field.relationship)) continue;
      // Relationship targets compare with strings only; date/times are read from any other string.
      const accepts = (candidate: QValue): boolean =>
        field.relationship ? candidate.type === 'string' : fieldAccepts(field, candidate) || isTemporal(candidate);
      for (const steps of accessors(field, target.member)) {
        for (const item of walk(instance, steps)) for (const candidate of unwrap(item)) if (test(candidate, accepts)) return true;
      }
    }
  }
  return false;
}

/** The instances of the attribute, then of each sub-attribute in turn (typed objects only). */
function targetInstances(target: AttributeTarget, entity: StoredEntity): Record<string, Json>[] {
  const own: Json = entity.attrs[target.attribute];
  // Stored entities keep each attribute as an array of typed instances: nothing to filter.
  if (target.subAttributes.length === 0 && Array.isArray(own) && own.every(isTypedInstance)) return own as Record<string, Json>[];
  let items: Json[] = unwrap(own);
  for (const sub of target.subAttributes) {
    items = items.filter(isObject).flatMap((item) => unwrap(item[sub]));
  }
  return items
    .filter(isObject)
    .filter((item) => (ATTRIBUTE_TYPES as readonly unknown[]).includes(item['type']));
}

function isTemporal(value: QValue): boolean {
  return value.type === 'dateTime' || value.type === 'date' || value.type === 'time';
}

/** jsonpath lax-mode accessors: a member step looks into objects, one array level unwrapped. */
function walk(instance: Record<string, Json>, steps: Step[]): Json[] {
  let items: Json[] = [instance];
  for (const step of steps) {
    items = items
      .flatMap((item) => unwrap(item))
      .filter(isObject)
      .flatMap((item) =>
        'any' in step ? Object.values(item) : item[step.key] === undefined ? [] : [item[step.key]],
      );
  }
  return items;
}

function unwrap(value: Json): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isTypedInstance(value: Json): boolean {
  return isObject(value) && (ATTRIBUTE_TYPES as readonly unknown[]).includes(value['type']);
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
