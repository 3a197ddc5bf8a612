import { z } from 'zod';

export const timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp');
export const deviceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'device id: letters, digits, . _ : -, at most 128 characters')
  .describe('Device id, unique within its tenant');
export const entityId = z.string().regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, 'entity id must be a URI').describe('NGSI-LD entity id (a URI)');
export const entityType = z.string().min(1).max(256).describe('NGSI-LD entity type (short name or expanded IRI)');
export const jsonValue = z.json().describe('Any JSON value');
