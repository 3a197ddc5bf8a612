import { z } from 'zod';
import { deviceId, entityId, entityType, jsonValue, timestamp } from './common';

export const observedAttribute = z.object({
  name: z.string().min(1).max(256),
  type: z.enum(['Property', 'GeoProperty', 'Relationship']),
  value: jsonValue.describe('Property value, GeoJSON geometry, or relationship target URI'),
  unitCode: z.string().max(16).optional().describe('UN/CEFACT unit code'),
  observedAt: timestamp.optional(),
});

export const observationDecodedV1 = z.object({
  deviceId,
  entity: z.object({ id: entityId, type: entityType }),
  observedAt: timestamp,
  attributes: z.array(observedAttribute).min(1),
});

export const lifecycleState = z.enum(['provisioned', 'active', 'suspended', 'decommissioned']);

export const lifecycleChangedV1 = z.object({
  deviceId,
  externalId: z.string().optional(),
  profileId: z.string().optional(),
  from: lifecycleState.nullable().describe('null when the device was just provisioned'),
  to: lifecycleState,
  reason: z.string().optional(),
  changedAt: timestamp,
});

export const credentialsChangedV1 = z.object({
  deviceId,
  credentialId: z.uuid(),
  change: z.enum(['issued', 'rotated', 'revoked']),
  tokenHash: z.string().min(1).describe('Slow hash of the device token (never the token itself)'),
  hashAlgorithm: z.enum(['scrypt']),
  validFrom: timestamp,
  validUntil: timestamp.nullable().describe('End of validity; set on rotation (overlap) and revocation'),
});

export const commandRequestedV1 = z.object({
  commandId: z.uuid(),
  deviceId,
  name: z.string().min(1).max(64),
  params: jsonValue.optional(),
  expiresAt: timestamp,
  requestedBy: z.string().optional(),
});

export const deviceLimits = z.object({
  messagesPerMinute: z.number().int().positive().optional(),
  maxPayloadBytes: z.number().int().positive().optional(),
});

/**
 * The registry's current record of one device, as a snapshot: the latest event per key is the
 * truth. Connectivity keeps its local device cache from it (state, DevEUI, expected reporting
 * interval, limits), so ingest keeps working while the devices service is down.
 */
export const deviceChangedV1 = z.object({
  deviceId,
  externalId: z.string().optional(),
  profileId: z.string().min(1),
  state: lifecycleState,
  tags: z.array(z.string()),
  lorawan: z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/) }).optional(),
  expectedIntervalSeconds: z.number().int().positive().optional().describe("From the device's profile"),
  limits: deviceLimits.optional().describe("The device's profile overrides of connectivity's default limits"),
  deleted: z.boolean().describe('True once the device was deleted from the registry'),
  changedAt: timestamp,
});
