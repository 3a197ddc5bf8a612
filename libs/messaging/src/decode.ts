import { EventOf, safeParseEvent, TopicName } from '@urbis/contracts';
import { z } from 'zod';

export type DecodeResult<T extends TopicName> =
  { ok: true; event: EventOf<T> } | { ok: false; reason: string };

/** One line per zod issue: `payload.to: Invalid option: expected one of ...`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Turns a raw Kafka message value into a valid event of `topic`, or says why it is not one.
 * Nothing reaches a handler without passing through here.
 */
export function decodeEvent<T extends TopicName>(
  topic: T,
  value: Buffer | string | null | undefined,
): DecodeResult<T> {
  if (value === null || value === undefined || value.length === 0) {
    return { ok: false, reason: 'empty message value (tombstone or missing body)' };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    return {
      ok: false,
      reason: `value is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const result = safeParseEvent(topic, json);
  if (!result.success) {
    return { ok: false, reason: `not a valid ${topic} event: ${describeIssues(result.error.issues)}` };
  }
  return { ok: true, event: result.data };
}
