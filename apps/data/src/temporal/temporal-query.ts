import { isDateTime } from '../ngsi-ld/entity-input';
import { badRequest } from '../ngsi-ld/errors';

/**
 * The temporal query (clause 4.11 and the TemporalQuery type of clause 5.2.21) and the
 * aggregation parameters of clause 4.5.19, checked once whether they came as GET parameters or
 * as the `temporalQ` member of a POST /temporal/entityOperations/query.
 */
export type Timerel = 'before' | 'after' | 'between';
export type TimeProperty = 'observedAt' | 'createdAt' | 'modifiedAt';

export const AGGREGATION_METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

export interface TemporalQuery {
  timerel?: Timerel;
  /** ISO 8601 instants, as given. */
  timeAt?: string;
  endTimeAt?: string;
  timeproperty: TimeProperty;
  /** The last N instances (or periods) per attribute, within the time range. */
  lastN?: number;
}

export interface IsoDuration {
  /** As given (PostgreSQL reads ISO 8601 designators as an interval). */
  text: string;
  /** Years or months: calendar periods, not a fixed number of seconds. */
  calendar: boolean;
  /** A fixed duration in milliseconds (0 means "the whole time range"). */
  ms: number;
}

export interface Aggregation {
  methods: AggregationMethod[];
  period: IsoDuration;
}

const TIMERELS: readonly Timerel[] = ['before', 'after', 'between'];
const TIME_PROPERTIES: readonly TimeProperty[] = ['observedAt', 'createdAt', 'modifiedAt'];
/** Clause 4.5.19: P[n]Y[n]M[n]DT[n]H[n]M[n]S or P[n]W; only the smallest unit given may be fractional. */
const DURATION = /^P(?:(\d+W)|(?!$)(\d+Y)?(\d+M)?(\d+D)?(?:T(?=\d)(\d+H)?(\d+M)?(\d+(?:\.\d+)?S)?)?)$/;
/** Beyond these a period cannot be a PostgreSQL interval (or is surely a mistake). */
const MAX_DURATION_UNITS = 1_000_000;

export interface TemporalInput {
  timerel?: unknown;
  timeAt?: unknown;
  endTimeAt?: unknown;
  timeproperty?: unknown;
  lastN?: unknown;
}

export function parseTemporalQuery(input: TemporalInput, limits: { maxLastN: number }): TemporalQuery {
  const query: TemporalQuery = { timeproperty: 'observedAt' };
  if (input.timeproperty !== undefined) {
    if (!TIME_PROPERTIES.includes(input.timeproperty as TimeProperty)) throw badRequest(`timeproperty must be one of ${TIME_PROPERTIES.join(', ')}, not ${JSON.stringify(input.timeproperty)}`);
    query.timeproperty = input.timeproperty as TimeProperty;
  }
  if (input.timerel !== undefined) {
    if (!TIMERELS.includes(input.timerel as Timerel)) throw badRequest(`timerel must be one of before, after, between, not ${JSON.stringify(input.timerel)}`);
    query.timerel = input.timerel as Timerel;
    if (input.timeAt === undefined) throw badRequest(`timerel=${query.timerel} needs timeAt`);
  } else if (input.timeAt !== undefined) {
    throw badRequest('timeAt needs timerel (before, after or between)');
  }
  if (input.timeAt !== undefined) query.timeAt = instant(input.timeAt, 'timeAt');
  if (query.timerel === 'between') {
    if (input.endTimeAt === undefined) throw badRequest('timerel=between needs endTimeAt');
    query.endTimeAt = instant(input.endTimeAt, 'endTimeAt');
    if (Date.parse(query.endTimeAt) <= Date.parse(query.timeAt as string)) throw badRequest(`endTimeAt (${query.endTimeAt}) must be after timeAt (${query.timeAt})`);
  } else if (input.endTimeAt !== undefined) {
    throw badRequest('endTimeAt is only used with timerel=between');
  }
  if (input.lastN !== undefined) query.lastN = lastNOf(input.lastN, limits.maxLastN);
  return query;
}

function instant(value: unknown, name: string): string {
  if (!isDateTime(value)) throw badRequest(`${name} must be an ISO 8601 date-time with a time zone (e.g. 2026-12-01T00:00:00Z), not ${JSON.stringify(value)}`);
  return value;
}

function lastNOf(value: unknown, max: number): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) throw badRequest(`lastN must be a positive integer, not ${JSON.stringify(value)}`);
  if (number > max) throw badRequest(`lastN=${number} is above this broker's maximum of ${max}`);
  return number;
}

export function parseDuration(text: unknown, name = 'aggrPeriodDuration'): IsoDuration {
  const match = typeof text === 'string' ? DURATION.exec(text) : null;
  if (!match || typeof text !== 'string') {
    throw badRequest(`${name} must be an ISO 8601 duration P[n]Y[n]M[n]DT[n]H[n]M[n]S or P[n]W (e.g. PT1H, P1D, P1M), not ${JSON.stringify(text)}`);
  }
  const [, weeks, years, months, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : parseFloat(part)));
  if ([weeks, years, months, days, hours, minutes].some((units) => (units ?? 0) > MAX_DURATION_UNITS) || (seconds ?? 0) > MAX_DURATION_UNITS * 60) {
    throw badRequest(`${name} ${text} is too long`);
  }
  const ms = ((weeks ?? 0) * 7 * 86_400 + (days ?? 0) * 86_400 + (hours ?? 0) * 3600 + (minutes ?? 0) * 60 + (seconds ?? 0)) * 1000;
  const calendar = (years ?? 0) > 0 || (months ?? 0) > 0;
  if (!calendar && ms > 0 && ms < 1) throw badRequest(`${name} ${text} is shorter than a millisecond`);
  return { text, calendar, ms };
}

export function parseAggregation(methodsValue: unknown, periodValue: unknown): Aggregation {
  if (methodsValue === undefined) throw badRequest('options=aggregatedValues needs aggrMethods (any of totalCount, distinctCount, sum, avg, min, max, stddev, sumsq)');
  const methods = (typeof methodsValue === 'string' ? methodsValue.split(',').map((item) => item.trim()) : methodsValue) as unknown;
  if (!Array.isArray(methods) || methods.length === 0) throw badRequest('aggrMethods must name at least one method');
  for (const method of methods) {
    if (!AGGREGATION_METHODS.includes(method as AggregationMethod)) throw badRequest(`aggrMethods: ${JSON.stringify(method)} is not one of ${AGGREGATION_METHODS.join(', ')}`);
  }
  return { methods: [...new Set(methods as AggregationMethod[])], period: parseDuration(periodValue ?? 'PT0S') };
}
