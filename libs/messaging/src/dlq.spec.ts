import { buildDlqHeaders, DLQ_HEADERS, MAX_REASON_LENGTH } from './dlq';

describe('buildDlqHeaders', () => {
  const context = {
    kind: 'invalid' as const,
    reason: 'value is not valid JSON: Unexpected token',
    originalTopic: 'connectivity.uplink.received.v1',
    partition: 2,
    offset: '41',
    consumerGroup: 'devices',
    failedAt: new Date('2026-01-01T00:00:00.000Z'),
  };

  it('keeps the original headers and adds where the message came from and why', () => {
    const original = { traceparent: '00-abc-def-01', 'event-id': Buffer.from('e-1') };
    expect(buildDlqHeaders(original, context)).toEqual({
      traceparent: '00-abc-def-01',
      'event-id': Buffer.from('e-1'),
      [DLQ_HEADERS.reason]: 'value is not valid JSON: Unexpected token',
      [DLQ_HEADERS.kind]: 'invalid',
      [DLQ_HEADERS.originalTopic]: 'connectivity.uplink.received.v1',
      [DLQ_HEADERS.originalPartition]: '2',
      [DLQ_HEADERS.originalOffset]: '41',
      [DLQ_HEADERS.consumerGroup]: 'devices',
      [DLQ_HEADERS.failedAt]: '2026-01-01T00:00:00.000Z',
    });
    expect(original).not.toHaveProperty(DLQ_HEADERS.reason);
  });

  it('records the attempts of a handler failure and replaces the dlq headers of a replayed message', () => {
    const replayed = { [DLQ_HEADERS.reason]: 'old', [DLQ_HEADERS.attempts]: '9' };
    const headers = buildDlqHeaders(replayed, {
      ...context,
      kind: 'handler-failed',
      reason: 'boom',
      attempts: 5,
    });
    expect(headers[DLQ_HEADERS.reason]).toBe('boom');
    expect(headers[DLQ_HEADERS.attempts]).toBe('5');
    expect(buildDlqHeaders(replayed, context)).not.toHaveProperty(DLQ_HEADERS.attempts);
  });

  it('cuts a very long reason', () => {
    const headers = buildDlqHeaders(undefined, { ...context, reason: 'x'.repeat(10_000) });
    expect(String(headers[DLQ_HEADERS.reason])).toHaveLength(MAX_REASON_LENGTH);
  });
});
