import { z } from 'zod';

/** A gateway's reception of one frame. */
export interface GatewayReception {
  gatewayId: string;
  rssi?: number;
  snr?: number;
  receivedAt?: string;
}

/** What connectivity takes from a network server's message, whichever server sent it. */
export type NetworkServerMessage =
  | {
      kind: 'uplink';
      devEui: string;
      fCnt: number;
      fPort?: number;
      payload: string;
      gateways: GatewayReception[];
      receivedAt?: string;
    }
  | { kind: 'join'; devEui: string; devAddr?: string; at?: string }
  | { kind: 'status'; devEui: string; batteryLevel?: number; margin?: number; externalPower?: boolean; at?: string };

export type NetworkServer = 'chirpstack-v4' | 'tts-v3';

const devEui = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'expected a DevEUI: 16 hex digits')
  .transform((value) => value.toLowerCase());
const base64 = z.base64('expected base64');
const rfc3339 = z.iso.datetime({ offset: true });
const fCnt = z.number().int().nonnegative().max(0xffffffff);
const fPort = z.number().int().min(0).max(255);

// ChirpStack v4 HTTP integration (JSON marshaler), events `up`, `join`, `status`.
const chirpstackDeviceInfo = z.object({ devEui });
const chirpstackUp = z.object({
  deviceInfo: chirpstackDeviceInfo,
  time: rfc3339.optional(),
  fCnt: fCnt.default(0),
  fPort: fPort.optional(),
  data: base64.default(''),
  rxInfo: z
    .array(
      z.object({
        gatewayId: z.string().min(1),
        rssi: z.number().optional(),
        snr: z.number().optional(),
        gwTime: rfc3339.optional(),
        nsTime: rfc3339.optional(),
      }),
    )
    .min(1, 'an uplink needs at least one gateway reception'),
});
const chirpstackJoin = z.object({ deviceInfo: chirpstackDeviceInfo, devAddr: z.string().optional(), time: rfc3339.optional() });
const chirpstackStatus = z.object({
  deviceInfo: chirpstackDeviceInfo,
  time: rfc3339.optional(),
  margin: z.number().int().optional(),
  externalPowerSource: z.boolean().optional(),
  batteryLevelUnavailable: z.boolean().optional(),
  batteryLevel: z.number().min(0).max(100).optional(),
});

export const CHIRPSTACK_EVENTS = ['up', 'join', 'status'] as const;
export type ChirpstackEvent = (typeof CHIRPSTACK_EVENTS)[number];

export function parseChirpstack(event: ChirpstackEvent, body: unknown): NetworkServerMessage {
  switch (event) {
    case 'up': {
      const up = chirpstackUp.parse(body);
      return {
        kind: 'uplink',
        devEui: up.deviceInfo.devEui,
        fCnt: up.fCnt,
        fPort: up.fPort,
        payload: up.data,
        receivedAt: up.time,
        gateways: up.rxInfo.map((rx) => ({
          gatewayId: rx.gatewayId,
          rssi: rx.rssi,
          snr: rx.snr,
          receivedAt: rx.gwTime ?? rx.nsTime,
        })),
      };
    }
    case 'join': {
      const join = chirpstackJoin.parse(body);
      return { kind: 'join', devEui: join.deviceInfo.devEui, devAddr: join.devAddr, at: join.time };
    }
    case 'status': {
      const status = chirpstackStatus.parse(body);
      return {
        kind: 'status',
        devEui: status.deviceInfo.devEui,
        batteryLevel: status.batteryLevelUnavailable ? undefined : status.batteryLevel,
        margin: status.margin,
        externalPower: status.externalPowerSource,
        at: status.time,
      };
    }
  }
}

// The Things Stack v3 webhooks: one body shape, the message type named by its key.
const ttsIds = z.object({ dev_eui: devEui, dev_addr: z.string().optional() });
const ttsUplink = z.object({
  end_device_ids: ttsIds,
  received_at: rfc3339.optional(),
  uplink_message: z.object({
    f_port: fPort.optional(),
    f_cnt: fCnt.default(0),
    frm_payload: base64.default(''),
    received_at: rfc3339.optional(),
    rx_metadata: z
      .array(
        z.object({
          gateway_ids: z.object({ gateway_id: z.string().min(1), eui: z.string().optional() }),
          rssi: z.number().optional(),
          channel_rssi: z.number().optional(),
          snr: z.number().optional(),
          time: rfc3339.optional(),
          received_at: rfc3339.optional(),
        }),
      )
      .min(1, 'an uplink needs at least one gateway reception'),
  }),
});
const ttsJoin = z.object({
  end_device_ids: ttsIds,
  received_at: rfc3339.optional(),
  join_accept: z.object({ received_at: rfc3339.optional() }),
});

export function parseTts(body: unknown): NetworkServerMessage {
  if (typeof body === 'object' && body !== null && 'join_accept' in body) {
    const join = ttsJoin.parse(body);
    return {
      kind: 'join',
      devEui: join.end_device_ids.dev_eui,
      devAddr: join.end_device_ids.dev_addr,
      at: join.join_accept.received_at ?? join.received_at,
    };
  }
  const up = ttsUplink.parse(body);
  const message = up.uplink_message;
  return {
    kind: 'uplink',
    devEui: up.end_device_ids.dev_eui,
    fCnt: message.f_cnt,
    fPort: message.f_port,
    payload: message.frm_payload,
    receivedAt: message.received_at ?? up.received_at,
    gateways: message.rx_metadata.map((rx) => ({
      gatewayId: rx.gateway_ids.gateway_id,
      rssi: rx.rssi ?? rx.channel_rssi,
      snr: rx.snr,
      receivedAt: rx.received_at ?? rx.time,
    })),
  };
}
