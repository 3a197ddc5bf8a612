import { IHeaders } from 'kafkajs';

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
  /** Present for handler failures: how many times the handler was tried. */
  attempts: 'dlq-attempts',
  /** `invalid` (the message never reached a handler) or `handler-failed`. */
  kind: 'dlq-kind',
} as const;

export type DeadLetterKind = 'invalid' | 'handler-failed';

export interface DeadLetterContext {
  kind: DeadLetterKind;
  reason: string;
  originalTopic: string;
  partition: number;
  offset: string;
  consumerGroup: string;
  failedAt: Date;
  attempts?: number;
}

/** Header values longer than this are cut: a reason listing hundreds of zod issues must not bloat the DLQ. */
export const MAX_REASON_LENGTH = 4000;

/**
 * The headers of a dead-lettered message: every original header (trace context included, so the
 * DLQ entry stays in its trace), plus the `dlq-*` headers saying where it came from and why.
 */
export function buildDlqHeaders(original: IHeaders | undefined, context: DeadLetterContext): IHeaders {
  const reason =
    context.reason.length > MAX_REASON_LENGTH
      ? `${context.reason.slice(0, MAX_REASON_LENGTH - 1)}…`
      : context.reason;
  const headers: IHeaders = { ...(original ?? {}) };
  headers[DLQ_HEADERS.reason] = reason;
  headers[DLQ_HEADERS.kind] = context.kind;
  headers[DLQ_HEADERS.originalTopic] = context.originalTopic;
  headers[DLQ_HEADERS.originalPartition] = String(context.partition);
  headers[DLQ_HEADERS.originalOffset] = context.offset;
  headers[DLQ_HEADERS.consumerGroup] = context.consumerGroup;
  headers[DLQ_HEADERS.failedAt] = context.failedAt.toISOString();
  if (context.attempts !== undefined) headers[DLQ_HEADERS.attempts] = String(context.attempts);
  else delete headers[DLQ_HEADERS.attempts];
  return headers;
}
