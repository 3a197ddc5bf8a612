import { twinState } from '@urbis/contracts';
import { z } from 'zod';

// One definition of a twin's state for the API and for reports arriving on Kafka.
export { twinState };


export const desiredPatch = z
  .object({
    state: twinState.describe('Merge patch: a key set to null is removed'),
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The desired version this change is based on (409 if stale)'),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(3600)
      .describe('TTL of the command that carries it'),
  })
  .strict();
export type DesiredPatch = z.output<typeof desiredPatch>;

export const reportedPatch = z
  .object({ state: twinState.describe('Merge patch of the reported state') })
  .strict();
export type ReportedPatch = z.output<typeof reportedPatch>;

const section = z.object({
  state: z.record(z.string(), z.json()),
  version: z.number().int(),
  updatedAt: z.iso.datetime().optional(),
});

export const twinView = z.object({
  deviceId: z.string(),
  desired: section,
  reported: section,
  delta: z
    .record(z.string(), z.json())
    .describe('Desired keys the device has not reported with the same value'),
  commandId: z.uuid().optional().describe('The command that carries this desired change to the device'),
});
export type TwinView = z.output<typeof twinView>;
