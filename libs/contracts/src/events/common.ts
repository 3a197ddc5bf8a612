import { z } from 'zod';

export const timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp');
export const deviceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'device id: letters, digits, . _ : -, at most 128 characters')
  .describe('Device id, unique within its tenant');
export const entityId = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, 'entity id must be a URI')
  .describe('NGSI-LD entity id (a URI)');
export const entityType = z
  .string()
  .min(1)
  .max(256)
  .describe('NGSI-LD entity type (short name or expanded IRI)');
export const jsonValue = z.json().describe('Any JSON value');

/**
 * A device twin's state: top-level keys with any JSON value (RFC 7396 merge patch when it is a
 * change: a null removes the key). Bounded so that a device cannot grow its twin without limit.
 */
export const twinState = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'state key: a letter, then letters, digits or _'),
    jsonValue,
  )
  .refine((value) => Object.keys(value).length <= 100, { message: 'at most 100 keys' })
  .refine((value) => JSON.stringify(value).length <= 16_384, { message: 'at most 16 KiB of JSON' })
  .describe(
    'Twin state: top-level keys (a letter, then letters, digits or _) with JSON values; at most 100 keys and 16 KiB',
  );
