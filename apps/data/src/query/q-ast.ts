import type { TemporalKey, TemporalKind } from './temporal';

/** A parsed NGSI-LD query (clause 4.9), names already expanded to IRIs. */
export type QNode = QAnd | QOr | QTerm;

export interface QAnd {
  kind: 'and';
  operands: QNode[];
}

export interface QOr {
  kind: 'or';
  operands: QNode[];
}

export type QTerm = QExistence | QComparison | QPatternMatch;

/** `attr` (exists) or `!attr` (does not exist). */
export interface QExistence {
  kind: 'exists';
  target: QTarget;
  negated: boolean;
}

export type QOperator = '==' | '!=' | '>' | '>=' | '<' | '<=';

export interface QComparison {
  kind: 'compare';
  target: QTarget;
  operator: QOperator;
  operand: QOperand;
}

/** `attr~=regex` or `attr!~=regex`; a leading `(?i)` becomes `ignoreCase`. */
export interface QPatternMatch {
  kind: 'pattern';
  target: QTarget;
  negated: boolean;
  pattern: string;
  ignoreCase: boolean;
}

export type QOperand =
  | { kind: 'value'; value: QValue }
  | { kind: 'range'; from: QValue; to: QValue }
  | { kind: 'list'; values: QValue[] };

export type QValue =
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: TemporalKind; text: string; key: TemporalKey };

/** Attribute metadata a path can end in (`speed.observedAt`). */
export type QMetadata = 'observedAt' | 'unitCode' | 'createdAt' | 'modifiedAt' | 'datasetId';

/** What a query term looks at. */
export type QTarget =
  /** The entity's own system attribute (`createdAt`, `modifiedAt`). */
  | { kind: 'entity'; member: 'createdAt' | 'modifiedAt' }
  | {
      kind: 'attribute';
      /** Expanded IRI of the entity's attribute. */
      attribute: string;
      /** Expanded IRIs of the sub-attributes followed (`attr.sub.subsub`). */
      subAttributes: string[];
      /** A metadata member of the last attribute, instead of its value. */
      metadata?: QMetadata;
      /** Members followed into a compound value (`attr[a.b]`); `*` is any member or language. */
      member: string[];
    };
