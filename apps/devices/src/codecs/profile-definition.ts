import { z } from 'zod';

/** NGSI-LD attribute names a profile may produce (`id`, `type` and `@context` are the entity's own). */
const RESERVED_ATTRIBUTES = new Set([
  'id',
  'type',
  '@context',
  'scope',
  'createdAt',
  'modifiedAt',
  'observedAt',
]);

export const attributeName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, 'attribute name: a letter, then letters, digits or _, at most 128')
  .refine((name) => !RESERVED_ATTRIBUTES.has(name), { message: 'attribute name is reserved by NGSI-LD' });

/** A path into the fields a codec decoded: `pm25`, `readings.no2`, `gps_1.latitude`, `values.0`. */
export const sourcePath = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'source: dot-separated field names (letters, digits, _ or -)')
  .max(256);

export const attributeMapping = z.object({
  name: attributeName.describe('NGSI-LD attribute of the entity, e.g. `temperature`'),
  source: sourcePath.describe('Where the value is in the decoded payload, e.g. `temp` or `temperature_1`'),
  type: z.enum(['Property', 'GeoProperty', 'Relationship']).default('Property'),
  unitCode: z
    .string()
    .regex(/^[A-Z0-9]{2,3}$/, 'unitCode: a UN/CEFACT common code, e.g. CEL, P1, GQ')
    .optional(),
  scale: z.number().finite().optional().describe('Numeric values are multiplied by it, e.g. 0.1'),
});
export type AttributeMapping = z.output<typeof attributeMapping>;

export const codecSettings = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json') }).describe('The payload is a JSON object; sources are paths into it'),
  z
    .object({ type: z.literal('cayenne-lpp') })
    .describe('Cayenne LPP bytes; sources are `<type>_<channel>`, e.g. `temperature_1`, `gps_2.latitude`'),
  z
    .object({
      type: z.literal('jsonata'),
      expression: z
        .string()
        .min(1)
        .max(20_000)
        .describe(
          'JSONata over `{ payload, bytes, hex, fPort, deviceId, receivedAt }` returning an object; sources are paths into that object',
        ),
    })
    .describe('A JSONata expression, time-bounded'),
]);
export type CodecSettings = z.output<typeof codecSettings>;

export const profileLimits = z.object({
  messagesPerMinute: z.number().int().positive().max(1_000_000).optional(),
  maxPayloadBytes: z.number().int().positive().max(1_048_576).optional(),
});

export const entityTypeName = z
  .string()
  .regex(/^[A-Z][A-Za-z0-9]{0,127}$/, 'entityType: a Smart Data Models type name, e.g. AirQualityObserved');

/** What a profile says about decoding: everything the decoder needs. */
export interface DecodingProfile {
  id: string;
  version: number;
  entityType: string;
  codec: CodecSettings;
  attributes: AttributeMapping[];
}
