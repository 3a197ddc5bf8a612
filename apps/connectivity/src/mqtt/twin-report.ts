import { type PayloadOf, twinState } from '@urbis/contracts';

export type TwinState = PayloadOf<'connectivity.twin.reported.v1'>['state'];

/**
 * Reads what a device published on `.../twin/reported`: a JSON object of state keys, either bare
 * or wrapped as `{ "state": { ... } }`. Returns the state, or why it is not one.
 */
export function parseTwinReport(payload: Buffer): { ok: true; state: TwinState } | { ok: false; reason: string } {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the twin report is not JSON' };
  }
  const parsed = twinState.safeParse(isWrapped(body) ? body.state : body);
  if (parsed.success) return { ok: true, state: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(state)'}: ${issue.message}`).join('; ');
  return { ok: false, reason: `the twin report is not an object of state keys: ${issues}` };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ "state": {...} }` and nothing else; a bare report may have a key `state` of another kind. */
const isWrapped = (body: unknown): body is { state: Record<string, unknown> } =>
  isObject(body) && Object.keys(body).length === 1 && isObject(body['state']);
