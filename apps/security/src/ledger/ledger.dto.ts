import { z } from 'zod';

const seq = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const recordQuery = z
  .object({
    action: z.string().min(1).max(200).optional(),
    actorId: z.string().min(1).max(256).optional(),
    outcome: z.enum(['succeeded', 'failed', 'allowed', 'denied']).optional(),
    source: z.enum(['connectivity', 'devices', 'data', 'integration', 'security']).optional(),
    resourceType: z.string().min(1).max(100).optional(),
    resourceId: z.string().min(1).max(512).optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Occurred at or after (RFC 3339)'),
    to: z.iso.datetime({ offset: true }).optional().describe('Occurred before (RFC 3339)'),
    order: z.enum(['asc', 'desc']).default('desc'),
    cursor: seq.optional().describe('The `nextCursor` of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type RecordQuery = z.output<typeof recordQuery>;

export const rangeQuery = z
  .object({
    fromSeq: seq.optional().describe('First record (default 1)'),
    toSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe("Last record (default the ledger's head)"),
  })
  .strict();
export type RangeQuery = z.output<typeof rangeQuery>;
