/**
 * The date, time and dateTime values the query languages compare in time order. The regular
 * expressions are written in the syntax shared by JavaScript and PostgreSQL's ARE, because the
 * SQL side must recognise exactly the strings the in-memory side does: a stored string is a
 * temporal value only if it matches, and only then is it cast (a cast of anything else would
 * fail the whole statement).
 */
export type TemporalKind = 'dateTime' | 'date' | 'time';

const YEAR = '([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])';
const MONTH_DAY =
  '((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))';
const LEAP_DAY = '([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29';
const DATE = `(${YEAR}-${MONTH_DAY}|${LEAP_DAY})`;
const CLOCK = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?';
const OFFSET = '(Z|[+-](0[0-9]|1[0-4]):?[0-5][0-9])';

/** Anchored patterns, one per kind; a match is always a value PostgreSQL can cast. */
export const TEMPORAL_PATTERN: Record<TemporalKind, string> = {
  dateTime: `^${DATE}T${CLOCK}${OFFSET}?$`,
  date: `^${DATE}$`,
  time: `^${CLOCK}${OFFSET}?$`,
};

/** Matches a value that already names its offset (dateTime and time without one are UTC). */
export const HAS_OFFSET_PATTERN = `${OFFSET}$`;

const COMPILED: Record<TemporalKind, RegExp> = {
  dateTime: new RegExp(TEMPORAL_PATTERN.dateTime),
  date: new RegExp(TEMPORAL_PATTERN.date),
  time: new RegExp(TEMPORAL_PATTERN.time),
};
const OFFSET_RE = new RegExp(HAS_OFFSET_PATTERN);

/** A totally ordered key: [whole part, microseconds below it]. */
export type TemporalKey = readonly [number, number];

export function isTemporal(kind: TemporalKind, text: string): boolean {
  return COMPILED[kind].test(text);
}

/** `text` with `Z` appended when it names no offset: what the SQL side casts. */
export function withOffset(text: string): string {
  return OFFSET_RE.test(text) ? text : `${text}Z`;
}

/** The ordering key of `text` read as `kind`, or undefined when it is not one. */
export function temporalKey(kind: TemporalKind, text: string): TemporalKey | undefined {
  if (!COMPILED[kind].test(text)) return undefined;
  if (kind === 'date') {
    const [y, m, d] = text.split('-').map(Number);
    return [daysFromCivil(y, m, d), 0];
  }
  const [datePart, timePart] = kind === 'dateTime' ? [text.slice(0, 10), text.slice(11)] : [undefined, text];
  const clock = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(.*)$/.exec(timePart);
  if (!clock) return undefined;
  const micros = Number((clock[4] ?? '').padEnd(6, '0'));
  const seconds =
    Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]) - offsetSeconds(clock[5]);
  if (datePart === undefined) {
    const ofDay = ((seconds % 86_400) + 86_400) % 86_400;
    return [ofDay, micros];
  }
  const [y, m, d] = datePart.split('-').map(Number);
  const ms = (daysFromCivil(y, m, d) * 86_400 + seconds) * 1000 + Math.floor(micros / 1000);
  return [ms, micros % 1000];
}

export function compareKeys(a: TemporalKey, b: TemporalKey): number {
  return a[0] === b[0] ? a[1] - b[1] : a[0] - b[0];
}

function offsetSeconds(offset: string): number {
  if (offset === '' || offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4)) * 60);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
