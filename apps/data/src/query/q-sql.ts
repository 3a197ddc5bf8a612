import type { SqlParams } from '../storage/sql-params';
import type { QComparison, QNode, QOperator, QPatternMatch, QTarget, QValue } from './q-ast';
import {
  accessors,
  ATTRIBUTE_TYPES,
  fieldAccepts,
  type Step,
  VALUE_FIELDS,
  type ValueField,
} from './q-targets';
import { HAS_OFFSET_PATTERN, TEMPORAL_PATTERN, type TemporalKind } from './temporal';

type AttributeTarget = Extract<QTarget, { kind: 'attribute' }>;

/**
 * Compiles a parsed q into a boolean SQL expression over the entity row `alias` (columns
 * `attrs`, `created_at`, `modified_at`). Every value travels as a parameter; equality and
 * existence become `attrs @? jsonpath` whose clauses the GIN `jsonb_path_ops` index can
 * extract (each disjunct is anchored by an `@.type == ...` or `@.member == value` equality).
 */
export function qToSql(query: QNode, alias: string, params: SqlParams): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
  return new QSqlCompiler(alias, params).node(query);
}

class QSqlCompiler {
  constructor(
    private readonly alias: string,
    private readonly params: SqlParams,
  ) {}

  node(node: QNode): string {
    switch (node.kind) {
      case 'and':
        return `(${node.operands.map((operand) => this.node(operand)).join(' AND ')})`;
      case 'or':
        return `(${node.operands.map((operand) => this.node(operand)).join(' OR ')})`;
      case 'exists':
        return node.negated ? `NOT ${this.exists(node.target)}` : this.exists(node.target);
      case 'compare':
        return this.compare(node);
      case 'pattern':
        return this.pattern(node);
    }
  }

  private exists(target: QTarget): string {
    if (target.kind === 'entity') return 'TRUE';
    return this.pathExists(instancesPath(target), existenceFilter(target));
  }

  private compare(term: QComparison): string {
    const { target, operator, operand } = term;
    if (operator === '!=') {
      const equal: QComparison = { ...term, operator: '==' };
      return `(${this.exists(target)} AND NOT ${this.compare(equal)})`;
    }
    const values = operand.kind === 'value' ? [operand.value] : operand.kind === 'list' ? operand.values : [];
    const parts: string[] = [];
    if (operand.kind === 'range') {
      parts.push(
        isTemporal(operand.from)
          ? this.temporal(
              target,
              operand.from.type,
              (v) => `${v} BETWEEN ${this.literal(operand.from)} AND ${this.literal(operand.to)}`,
            )
          : this.jsonpathCompare(target, 'range', [operand.from, operand.to]),
      );
    } else {
      const plain = values.filter((value) => !isTemporal(value));
      if (plain.length > 0) parts.push(this.jsonpathCompare(target, operator, plain));
      for (const kind of ['dateTime', 'date', 'time'] as const) {
        const ofKind = values.filter((value) => value.type === kind);
        if (ofKind.length === 0) continue;
        parts.push(
          this.temporal(target, kind, (v) =>
            operator === '=='
              ? `${v} IN (${ofKind.map((value) => this.literal(value)).join(', ')})`
              : `${v} ${operator} ${this.literal(ofKind[0])}`,
          ),
        );
      }
    }
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  private pattern(term: QPatternMatch): string {
    const target = term.target as AttributeTarget;
    const regex = `like_regex ${JSON.stringify(term.pattern)}${term.ignoreCase ? ' flag "i"' : ''}`;
    const arms =
      target.metadata !== undefined
        ? [`(${typeGuard(ATTRIBUTE_TYPES)} && @.${key(target.metadata)} ${regex})`]
        : this.fieldArms(target, true, (field, chain) =>
            field.relationship ? undefined : `${chain} ${regex}`,
          );
    const matches = arms.length === 0 ? 'FALSE' : this.pathExists(instancesPath(target), arms.join(' || '));
    return term.negated ? `(${this.exists(target)} AND NOT ${matches})` : matches;
  }

  /** `==`, the ordering operators and ranges on non-temporal values, as one jsonpath filter. */
  private jsonpathCompare(target: QTarget, operator: QOperator | 'range', values: QValue[]): string {
    if (target.kind === 'entity') return 'FALSE';
    const predicate = (chain: string, value: QValue): string =>
      operator === 'range' ? '' : `${chain} ${operator} ${jsonpathValue(value)}`;
    const rangeOf = (chain: string): string =>
      `exists(${chain} ? (@ >= ${jsonpathValue(values[0])} && @ <= ${jsonpathValue(values[1])}))`;
    const ordering = operator !== '==';
    // An equality is itself what the index looks up; a type test beside it would only add a
    // broad index entry to intersect with, so it is written in a form the index ignores.
    const indexedGuard = operator !== '==';
    let arms: string[];
    if (target.metadata !== undefined) {
      const chain = `@.${key(target.metadata)}`;
      const tests = operator === 'range' ? [rangeOf(chain)] : values.map((value) => predicate(chain, value));
      arms = [`(${typeGuard(ATTRIBUTE_TYPES, indexedGuard)} && (${tests.join(' || ')}))`];
    } else {
      arms = this.fieldArms(target, indexedGuard, (field, chain) => {
        if (ordering && field.relationship) return undefined;
        if (operator === 'range') return fieldAccepts(field, values[0]) ? rangeOf(chain) : undefined;
        const tests = values
          .filter((value) => fieldAccepts(field, value))
          .map((value) => predicate(chain, value));
        return tests.length === 0 ? undefined : tests.join(' || ');
      });
    }
    return arms.length === 0 ? 'FALSE' : this.pathExists(instancesPath(target), arms.join(' || '));
  }

  /**
   * One `(@.type == T && (...))` arm per value field the target can be kept in; `test` turns a
   * candidate accessor chain (from `@`) into a jsonpath predicate, or refuses the field.
   */
  private fieldArms(
    target: AttributeTarget,
    indexedGuard: boolean,
    test: (field: ValueField, chain: string) => string | undefined,
  ): string[] {
    const arms: string[] = [];
    for (const field of VALUE_FIELDS) {
      const steps = accessors(field, target.member);
      const tests = steps
        .map((chain) => test(field, `@${chainText(chain)}`))
        .filter((text): text is string => text !== undefined && text !== '');
      // `.*` (any language, any member) cannot be looked up: the type equality anchors it instead.
      const wildcard = steps.some((chain) => chain.some((step) => 'any' in step));
      if (tests.length > 0)
        arms.push(`(${typeGuard(field.types, indexedGuard || wildcard)} && (${tests.join(' || ')}))`);
    }
    return arms;
  }

  /**
   * Date/time comparisons happen in SQL: PostgreSQL 15's jsonpath `.datetime()` cannot read a
   * trailing `Z`. Candidates that match the kind's pattern are cast (nothing else is, so no
   * stored string can fail the statement) and compared by `compare(castValue)`.
   */
  private temporal(target: QTarget, kind: TemporalKind, compare: (value: string) => string): string {
    if (target.kind === 'entity') {
      if (kind !== 'dateTime') return 'FALSE';
      return compare(`${this.alias}.${target.member === 'createdAt' ? 'created_at' : 'modified_at'}`);
    }
    const paths: string[] = [];
    const base = instancesPath(target);
    if (target.metadata !== undefined) {
      paths.push(`${base}.${key(target.metadata)}[*]`);
    } else {
      for (const field of VALUE_FIELDS) {
        if (field.relationship) continue;
        for (const steps of accessors(field, target.member)) {
          paths.push(`${base} ? (${typeGuard(field.types)})${chainText(steps)}[*]`);
        }
      }
    }
    if (paths.length === 0) return 'FALSE';
    const candidates = paths
      .map((path) => `SELECT jsonb_path_query(${this.alias}.attrs, ${this.params.add(path, 'jsonpath')})`)
      .join(' UNION ALL ');
    const text = `(c.v #>> '{}')`;
    const cast = this.cast(kind, text);
    const anyInstance = this.pathExists(base, typeGuard(ATTRIBUTE_TYPES));
    return (
      `(${anyInstance} AND EXISTS (SELECT 1 FROM (${candidates}) AS c(v) WHERE CASE WHEN jsonb_typeof(c.v) = 'string' ` +
      `AND ${text} ~ ${this.params.add(TEMPORAL_PATTERN[kind])} THEN ${compare(cast)} ELSE false END))`
    );
  }

  private cast(kind: TemporalKind, text: string): string {
    if (kind === 'date') return `${text}::date`;
    const zoned = `(CASE WHEN ${text} ~ ${this.params.add(HAS_OFFSET_PATTERN)} THEN ${text} ELSE ${text} || 'Z' END)`;
    return kind === 'dateTime' ? `${zoned}::timestamptz` : `(${zoned}::timetz AT TIME ZONE 'UTC')::time`;
  }

  private literal(value: QValue): string {
    if (value.type === 'dateTime') return this.params.add(value.text, 'timestamptz');
    if (value.type === 'date') return this.params.add(value.text, 'date');
    if (value.type === 'time') return `(${this.params.add(value.text, 'timetz')} AT TIME ZONE 'UTC')::time`;
    throw new Error(`not a temporal value: ${value.type}`);
  }

  private pathExists(path: string, filter: string): string {
    return `${this.alias}.attrs @? ${this.params.add(`${path} ? (${filter})`, 'jsonpath')}`;
  }
}

function isTemporal(value: QValue): value is Extract<QValue, { type: TemporalKind }> {
  return value.type === 'dateTime' || value.type === 'date' || value.type === 'time';
}

/** `$."attr"[*]."sub"[*]...`: every instance of the attribute, then of each sub-attribute. */
function instancesPath(target: AttributeTarget): string {
  return `$.${key(target.attribute)}[*]${target.subAttributes.map((sub) => `.${key(sub)}[*]`).join('')}`;
}

/** The filter (on an instance `@`) that holds when the target exists there. */
function existenceFilter(target: AttributeTarget): string {
  const anyType = typeGuard(ATTRIBUTE_TYPES);
  if (target.metadata !== undefined) return `${anyType} && exists(@.${key(target.metadata)})`;
  if (target.member.length === 0) return anyType;
  const arms = VALUE_FIELDS.flatMap((field) =>
    accessors(field, target.member).map(
      (steps) => `(${typeGuard(field.types)} && exists(@${chainText(steps)}))`,
    ),
  );
  return arms.length === 0 ? 'false' : arms.join(' || ');
}

/**
 * The instance's type is one of `types`. `indexed`: as equalities the GIN index can look up
 * (the anchor of a filter that has no other); otherwise as a regex the index passes over.
 */
function typeGuard(types: readonly string[], indexed = true): string {
  if (!indexed) return `@.type like_regex ${JSON.stringify(`^(${types.join('|')})$`)}`;
  const tests = types.map((type) => `@.type == ${JSON.stringify(type)}`);
  return tests.length === 1 ? tests[0] : `(${tests.join(' || ')})`;
}

function chainText(steps: Step[]): string {
  return steps.map((step) => ('any' in step ? '.*' : `.${key(step.key)}`)).join('');
}

function key(name: string): string {
  return JSON.stringify(name);
}

function jsonpathValue(value: QValue): string {
  switch (value.type) {
    case 'number':
      return numberLiteral(value.value);
    case 'string':
      return JSON.stringify(value.value);
    case 'boolean':
      return value.value ? 'true' : 'false';
    default:
      throw new Error(`temporal values are compared in SQL, not in jsonpath: ${value.type}`);
  }
}

/** jsonpath reads `1e+21` and `-5`; JavaScript's shortest round-trip form is both. */
function numberLiteral(value: number): string {
  return Object.is(value, -0) ? '0' : String(value);
}
