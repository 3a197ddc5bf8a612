import type { QMetadata, QNode, QOperand, QOperator, QTarget, QTerm, QValue } from './q-ast';
import { QueryError, syntaxError } from './query-error';
import { checkQueryText, decodeQueryText } from './query-text';
import { checkPortablePattern } from './regex-subset';
import { isTemporal, temporalKey, type TemporalKind, withOffset } from './temporal';

export interface QParseOptions {
  /** Expands an attribute name with the request's @context (an IRI comes back unchanged). */
  expand(term: string): string;
  /** Expands a value term (`@vocab`-relative) for `expandValues`; defaults to `expand`. */
  expandVocab?(term: string): string;
  /** Attribute names (as written in the request) whose string values are expanded before matching. */
  expandValues?: readonly string[];
}

/** Bounds that keep one query from costing the broker more than a request should. */
export const Q_LIMITS = { maxLength: 16_384, maxDepth: 32, maxTerms: 256, maxListValues: 100 } as const;

const METADATA = new Set<string>(['observedAt', 'unitCode', 'createdAt', 'modifiedAt', 'datasetId']);
const TEMPORAL_METADATA = new Set<string>(['observedAt', 'createdAt', 'modifiedAt']);
const NAME_CHAR = /[\p{L}\p{N}_:-]/u;
const IRI_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const IRI_STOP = new Set([...'=!<>~;|()[]{}",']);
const MEMBER_STOP = new Set([...'[].;|()=!<>~",{}']);
const VALUE_STOP = new Set([...';|(),"']);
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Parses the NGSI-LD Query Language (ETSI GS CIM 009 V1.8.1, clause 4.9) into a typed tree.
 * `;` (AND) binds tighter than `|` (OR); parentheses group. Throws QueryError (BadRequestData,
 * or TooComplexQuery past Q_LIMITS) saying where the text stops making sense.
 */
export function parseQ(text: string, options: QParseOptions): QNode {
  const decoded = decodeQueryText(text);
  checkQueryText('q', decoded, Q_LIMITS.maxLength);
  return new QParser(decoded, options).parse();
}

class QParser {
  private pos = 0;
  private depth = 0;
  private terms = 0;
  private readonly expandValues: Set<string>;

  constructor(
    private readonly text: string,
    private readonly options: QParseOptions,
  ) {
    this.expandValues = new Set((options.expandValues ?? []).map((name) => options.expand(name)));
  }

  parse(): QNode {
    this.skipSpaces();
    if (this.atEnd()) throw this.expected('a query term');
    const node = this.disjunction();
    this.skipSpaces();
    if (!this.atEnd()) {
      throw this.peek() === ')'
        ? new QueryError(
            'BadRequestData',
            'q',
            `Invalid q at character ${this.pos + 1}: ")" closes no "("`,
            this.pos,
          )
        : this.expected('";" (and), "|" (or) or the end of the query');
    }
    return node;
  }

  private disjunction(): QNode {
    const operands = [this.conjunction()];
    while (this.skipSpaces() === '|') {
      this.pos++;
      operands.push(this.conjunction());
    }
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  }

  private conjunction(): QNode {
    const operands = [this.group()];
    while (this.skipSpaces() === ';') {
      this.pos++;
      operands.push(this.group());
    }
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  }

  private group(): QNode {
    if (this.skipSpaces() !== '(') return this.term();
    const open = this.pos++;
    this.enter();
    const node = this.disjunction();
    if (this.skipSpaces() !== ')') {
      throw this.atEnd()
        ? new QueryError(
            'BadRequestData',
            'q',
            `Invalid q at character ${open + 1}: "(" is never closed`,
            open,
          )
        : this.expected('";" (and), "|" (or) or ")"');
    }
    this.pos++;
    this.depth--;
    return node;
  }

  private term(): QTerm {
    if (++this.terms > Q_LIMITS.maxTerms) {
      throw new QueryError(
        'TooComplexQuery',
        'q',
        `q has more than ${Q_LIMITS.maxTerms} query terms`,
        this.pos,
      );
    }
    if (this.peek() === '!' && this.text[this.pos + 1] !== '=' && this.text[this.pos + 1] !== '~') {
      this.pos++;
      return { kind: 'exists', target: this.target(), negated: true };
    }
    const target = this.target();
    this.skipSpaces();
    const operatorAt = this.pos;
    const operator = this.operator();
    if (operator === undefined) {
      if (this.atEnd() || ';|)'.includes(this.peek())) return { kind: 'exists', target, negated: false };
      throw this.peek() === '='
        ? this.expected('an operator ("==" for equality)')
        : this.expected('an operator (==, !=, >, >=, <, <=, ~=, !~=), ";", "|" or ")"');
    }
    this.skipSpaces();
    if (operator === '~=' || operator === '!~=') {
      if (target.kind === 'entity')
        throw this.invalid(operatorAt, `${target.member} is a date-time; it cannot match a pattern`);
      const { pattern, ignoreCase } = this.pattern();
      return { kind: 'pattern', target, negated: operator === '!~=', pattern, ignoreCase };
    }
    return { kind: 'compare', target, operator, operand: this.operand(operator, target) };
  }

  private operator(): QOperator | '~=' | '!~=' | undefined {
    for (const candidate of ['==', '!=', '!~=', '~=', '>=', '<=', '>', '<'] as const) {
      if (this.text.startsWith(candidate, this.pos)) {
        this.pos += candidate.length;
        return candidate;
      }
    }
    return undefined;
  }

  // ---- attribute paths -------------------------------------------------------------------

  private target(): QTarget {
    const start = this.pos;
    const names: string[] = [];
    if (IRI_START.test(this.text.slice(this.pos, this.pos + 64))) {
      names.push(this.iri());
    } else {
      names.push(this.name('an attribute name'));
      while (this.peek() === '.') {
        this.pos++;
        names.push(this.name('a sub-attribute or metadata name after "."'));
      }
    }
    const member: string[] = [];
    while (this.peek() === '[') {
      this.pos++;
      this.enter();
      member.push(...this.memberPath());
      this.depth--;
    }
    if (this.peek() === '{') {
      throw new QueryError(
        'BadRequestData',
        'q',
        `Invalid q at character ${this.pos + 1}: linked-entity queries ("${names[0]}{...}") are not supported`,
        this.pos,
      );
    }
    return this.resolve(names, member, start);
  }

  private resolve(names: string[], member: string[], start: number): QTarget {
    const [attribute, ...rest] = names;
    if (rest.length === 0 && (attribute === 'createdAt' || attribute === 'modifiedAt')) {
      if (member.length > 0) throw this.invalid(start, `${attribute} is a date-time; it has no members`);
      return { kind: 'entity', member: attribute };
    }
    const subAttributes: string[] = [];
    let metadata: QMetadata | undefined;
    rest.forEach((name, index) => {
      if (METADATA.has(name)) {
        if (index !== rest.length - 1 || member.length > 0) {
          throw this.invalid(
            start,
            `"${name}" is metadata of ${names.slice(0, index + 1).join('.')}; nothing can follow it`,
          );
        }
        metadata = name as QMetadata;
      } else {
        subAttributes.push(this.options.expand(name));
      }
    });
    return { kind: 'attribute', attribute: this.options.expand(attribute), subAttributes, metadata, member };
  }

  private name(what: string): string {
    const start = this.pos;
    while (!this.atEnd() && NAME_CHAR.test(this.peek())) this.pos++;
    if (this.pos === start) throw this.expected(what);
    return this.text.slice(start, this.pos);
  }

  private iri(): string {
    const start = this.pos;
    while (!this.atEnd() && !IRI_STOP.has(this.peek()) && !/\s/.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Inside `[...]`: `a.b`, `a[b]`, `*`; the opening bracket is already consumed. */
  private memberPath(): string[] {
    const parts: string[] = [];
    for (;;) {
      const start = this.pos;
      while (!this.atEnd() && !MEMBER_STOP.has(this.peek()) && !/\s/.test(this.peek())) this.pos++;
      if (this.pos === start) throw this.expected('a member name (or *) inside "[...]"');
      parts.push(this.text.slice(start, this.pos));
      while (this.peek() === '[') {
        this.pos++;
        this.enter();
        parts.push(...this.memberPath());
        this.depth--;
      }
      if (this.peek() === '.') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        return parts;
      }
      throw this.expected('"." or "]"');
    }
  }

  // ---- values ----------------------------------------------------------------------------

  private operand(operator: QOperator, target: QTarget): QOperand {
    const ordering = operator !== '==' && operator !== '!=';
    const firstAt = this.pos;
    const first = this.value(target);
    if (this.text.startsWith('..', this.pos)) {
      if (ordering) throw this.invalid(this.pos, `a range can only follow == or !=, not ${operator}`);
      this.pos += 2;
      const toAt = this.pos;
      const to = this.value(target);
      if (rangeClass(first) !== rangeClass(to)) {
        throw this.invalid(
          toAt,
          `both ends of a range must be of one type (${describe(first)} .. ${describe(to)})`,
        );
      }
      if (first.type === 'boolean')
        throw this.invalid(firstAt, 'a range needs numbers, strings or date/times, not true/false');
      return { kind: 'range', from: first, to };
    }
    if (this.peek() === ',') {
      if (ordering)
        throw this.invalid(this.pos, `a list of values can only follow == or !=, not ${operator}`);
      const values = [first];
      while (this.peek() === ',') {
        this.pos++;
        values.push(this.value(target));
        if (values.length > Q_LIMITS.maxListValues) {
          throw new QueryError(
            'TooComplexQuery',
            'q',
            `a list in q has more than ${Q_LIMITS.maxListValues} values`,
            this.pos,
          );
        }
      }
      return { kind: 'list', values };
    }
    if (ordering && first.type === 'boolean') {
      throw this.invalid(firstAt, `true and false can only be compared with == or !=, not ${operator}`);
    }
    return { kind: 'value', value: first };
  }

  private value(target: QTarget): QValue {
    const start = this.pos;
    if (this.peek() === '"') {
      const text = this.quoted(false);
      return this.stringValue(text, target);
    }
    while (
      !this.atEnd() &&
      !VALUE_STOP.has(this.peek()) &&
      !/\s/.test(this.peek()) &&
      !this.text.startsWith('..', this.pos)
    ) {
      this.pos++;
    }
    let token = this.text.slice(start, this.pos);
    if (token === '' || '=<>!~'.includes(token[0])) {
      this.pos = start;
      throw this.expected('a value (number, "string", true, false, date/time or URI)');
    }
    // A `+` of a time-zone offset arrives as a space once the query string is form-decoded.
    const offset = /^ (\d{2}:?\d{2})(?![\d:])/.exec(this.text.slice(this.pos, this.pos + 7));
    if (offset && /^(\d{4}-\d{2}-\d{2}T)?\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(token)) {
      token += `+${offset[1]}`;
      this.pos += offset[0].length;
    }
    if (token === 'true' || token === 'false') return { type: 'boolean', value: token === 'true' };
    if (NUMBER.test(token)) {
      const value = Number(token);
      if (!Number.isFinite(value)) throw this.invalid(start, `${token} is not a finite number`);
      return { type: 'number', value };
    }
    const kind: TemporalKind | undefined = /^\d{4}-\d{2}-\d{2}T/.test(token)
      ? 'dateTime'
      : /^\d{4}-\d{2}-\d{2}$/.test(token)
        ? 'date'
        : /^\d{2}:\d{2}:\d{2}/.test(token)
          ? 'time'
          : undefined;
    if (kind) {
      const temporal = temporalValue(kind, token);
      if (!temporal) throw this.invalid(start, `${token} is not a valid ${kind} (e.g. ${EXAMPLES[kind]})`);
      return temporal;
    }
    return this.stringValue(token, target);
  }

  private stringValue(text: string, target: QTarget): QValue {
    const temporalTarget =
      target.kind === 'entity' || (target.metadata !== undefined && TEMPORAL_METADATA.has(target.metadata));
    if (temporalTarget) {
      const temporal = temporalValue('dateTime', text);
      if (temporal) return temporal;
    }
    if (
      target.kind === 'attribute' &&
      target.metadata === undefined &&
      this.expandValues.has(target.attribute)
    ) {
      const expandVocab = this.options.expandVocab ?? this.options.expand;
      return { type: 'string', value: expandVocab(text) };
    }
    return { type: 'string', value: text };
  }

  /** A `"..."` string; `\"` and `\\` are escapes, any other backslash is kept (patterns need them). */
  private quoted(keepEscapes: boolean): string {
    const open = this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const c = this.text[this.pos++];
      if (c === '"') return out;
      if (c === '\\' && (this.peek() === '"' || this.peek() === '\\')) {
        out += keepEscapes && this.peek() === '\\' ? '\\\\' : this.peek();
        this.pos++;
      } else {
        out += c;
      }
    }
    throw new QueryError(
      'BadRequestData',
      'q',
      `Invalid q at character ${open + 1}: the string starting here is never closed`,
      open,
    );
  }

  private pattern(): { pattern: string; ignoreCase: boolean } {
    const start = this.pos;
    let pattern: string;
    if (this.peek() === '"') {
      pattern = this.quoted(true);
    } else {
      let depth = 0;
      while (!this.atEnd()) {
        const c = this.peek();
        if (c === '\\') {
          this.pos += 2;
          continue;
        }
        if (depth === 0 && (c === ';' || c === '|' || c === ')')) break;
        if (c === '(') depth++;
        if (c === ')') depth--;
        this.pos++;
      }
      this.pos = Math.min(this.pos, this.text.length);
      pattern = this.text.slice(start, this.pos);
    }
    const ignoreCase = pattern.startsWith('(?i)');
    if (ignoreCase) pattern = pattern.slice(4);
    if (pattern === '') throw this.invalid(start, 'expected a regular expression after ~=');
    const problem = checkPortablePattern(pattern);
    if (problem) throw this.invalid(start, `the regular expression ${JSON.stringify(pattern)} ${problem}`);
    return { pattern, ignoreCase };
  }

  // ---- helpers ---------------------------------------------------------------------------

  private enter(): void {
    if (++this.depth > Q_LIMITS.maxDepth) {
      throw new QueryError(
        'TooComplexQuery',
        'q',
        `q nests deeper than ${Q_LIMITS.maxDepth} levels`,
        this.pos,
      );
    }
  }

  private skipSpaces(): string {
    while (!this.atEnd() && /\s/.test(this.peek())) this.pos++;
    return this.peek();
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private expected(what: string): QueryError {
    return syntaxError('q', this.text, this.pos, what);
  }

  private invalid(position: number, message: string): QueryError {
    return new QueryError(
      'BadRequestData',
      'q',
      `Invalid q at character ${position + 1}: ${message}`,
      position,
    );
  }
}

const EXAMPLES: Record<TemporalKind, string> = {
  dateTime: '2024-01-31T12:00:00Z',
  date: '2024-01-31',
  time: '12:00:00Z',
};

function temporalValue(kind: TemporalKind, token: string): QValue | undefined {
  if (!isTemporal(kind, token)) return undefined;
  const key = temporalKey(kind, token);
  if (!key) return undefined;
  return { type: kind, text: kind === 'date' ? token : withOffset(token), key };
}

function rangeClass(value: QValue): string {
  return value.type;
}

function describe(value: QValue): string {
  return value.type === 'string' ? 'a string' : value.type === 'number' ? 'a number' : `a ${value.type}`;
}
