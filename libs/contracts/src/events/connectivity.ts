import { z } from 'zod';
import { deviceId, jsonValue, timestamp, twinState } from './common';

export const transport = z.enum(['mqtt', 'http', 'lorawan']);

export const gatewayReception = z.object({
  gatewayId: z.string().min(1),
  rssi: z.number().optional().describe('Received signal strength, dBm'),
  snr: z.number().optional().describe('Signal-to-noise ratio, dB'),
  receivedAt: timestamp.optional(),
});

export const uplinkReceivedV1 = z.object({
  deviceId,
  transport,
  receivedAt: timestamp,
  contentType: z.string().optional().describe('MIME type of the payload as the device sent it'),
  payload: z.base64().describe('The raw payload, base64-encoded, exactly as received'),
  mqttTopic: z.string().optional(),
  lorawan: z
    .object({
      devEui: z.string().regex(/^[0-9a-fA-F]{16}$/),
      fCnt: z.number().int().nonnegative(),
      fPort: z.number().int().min(0).max(255).optional(),
      networkServer: z.enum(['chirpstack-v4', 'tts-v3']),
      gateways: z.array(gatewayReception).min(1),
    })
    .optional(),
});

export const twinReportedV1 = z.object({
  deviceId,
  transport,
  receivedAt: timestamp,
  state: twinState.describe(
    'What the device reports, as a merge patch of its reported state (a null removes a key)',
  ),
  mqttTopic: z.string().optional(),
});

export const deviceStatus = z.enum(['online', 'offline']);

export const deviceStatusChangedV1 = z.object({
  deviceId,
  status: deviceStatus,
  previousStatus: deviceStatus.optional(),
  reason: z.enum(['connected', 'disconnected', 'silent', 'uplink', 'blocked']),
  lastSeenAt: timestamp.optional(),
  changedAt: timestamp,
});

export const commandOutcome = z.enum(['delivered', 'succeeded', 'failed', 'expired', 'rejected']);

export const commandRespondedV1 = z.object({
  commandId: z.uuid(),
  deviceId,
  outcome: commandOutcome,
  response: jsonValue.optional().describe("The device's response body, when it sent one"),
  reason: z.string().optional(),
  at: timestamp,
});
