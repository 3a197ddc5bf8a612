import type { JsonValue } from '../common/json';

export type TwinState = Record<string, JsonValue>;

/** Canonical JSON: objects with sorted keys, so that equal values compare equal. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sameJson = (a: JsonValue, b: JsonValue) => canonical(a) === canonical(b);

/** RFC 7396 merge patch on the top-level keys: a null removes a key, anything else replaces it. */
export function mergeState(current: TwinState, patch: TwinState): TwinState {
  const next: TwinState = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** What the device has yet to apply: desired keys whose reported value differs or is missing. */
export function delta(desired: TwinState, reported: TwinState): TwinState {
  const out: TwinState = {};
  for (const [key, value] of Object.entries(desired)) {
    if (!(key in reported) || !sameJson(value, reported[key])) out[key] = value;
  }
  return out;
}
