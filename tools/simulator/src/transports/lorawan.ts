import { randomUUID } from 'node:crypto';
import { distanceMetres, type Gateway } from '../district-plan';
import type { Place } from '../kinds';
import type { Random } from '../random';

/** One gateway's reception of a frame. */
export interface Reception {
  gatewayId: string;
  rssi: number;
  snr: number;
}

/** Below this a gateway does not demodulate the frame (SF7, 125 kHz). */
const SENSITIVITY_DBM = -121;

/**
 * Which gateways hear one frame from `place`, strongest first: a log-distance path loss from
 * each gateway (exponent 3.5: a sensor at street level, often under a car) with a few dB of
 * fading. The nearest gateway always hears the device (the district is planned so); in the
 * default district about one frame in six reaches a second gateway, one in fifty a third.
 */
export function receptionsOf(place: Place, gateways: readonly Gateway[], random: Random): Reception[] {
  const heard = gateways
    .map((gateway) => {
      const metres = Math.max(10, distanceMetres(place, gateway));
      const rssi = Math.round(-25 - 35 * Math.log10(metres) + random.normal(0, 3));
      const snr = Math.round(Math.min(12, Math.max(-20, (rssi + 116) / 2.5 + random.normal(0, 1.5))) * 10) / 10;
      return { gatewayId: gateway.id, rssi, snr };
    })
    .sort((a, b) => b.rssi - a.rssi);
  const [nearest, ...others] = heard;
  if (!nearest) return [];
  // A frame that arrived was above the nearest gateway's sensitivity, whatever the fading drew.
  return [{ ...nearest, rssi: Math.max(nearest.rssi, SENSITIVITY_DBM) }, ...others.filter((reception) => reception.rssi >= SENSITIVITY_DBM)];
}

export interface LorawanFrame {
  devEui: string;
  deviceName: string;
  fCnt: number;
  fPort: number;
  payload: Buffer;
  receptions: readonly Reception[];
  at: Date;
}

/** A ChirpStack v4 HTTP-integration `up` event (JSON marshaler), as its network server posts it. */
export function chirpstackUp(frame: LorawanFrame, application = 'urbis-district') {
  const time = frame.at.toISOString();
  return {
    deduplicationId: randomUUID(),
    time,
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'ChirpStack',
      applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
      applicationName: application,
      deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
      deviceProfileName: 'parking-sensor',
      deviceName: frame.deviceName,
      devEui: frame.devEui,
      deviceClassEnabled: 'CLASS_A',
      tags: {},
    },
    devAddr: frame.devEui.slice(8),
    adr: true,
    dr: 5,
    fCnt: frame.fCnt,
    fPort: frame.fPort,
    confirmed: false,
    data: frame.payload.toString('base64'),
    rxInfo: frame.receptions.map((reception, index) => ({
      gatewayId: reception.gatewayId,
      uplinkId: (frame.fCnt * 16 + index) >>> 0,
      gwTime: time,
      nsTime: time,
      rssi: reception.rssi,
      snr: reception.snr,
      channel: frame.fCnt % 8,
      rfChain: 0,
      context: 'AAAAAA==',
      metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
      crcStatus: 'CRC_OK',
    })),
    txInfo: { frequency: 867_100_000 + (frame.fCnt % 8) * 200_000, modulation: { lora: { bandwidth: 125_000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
  };
}

/** A ChirpStack v4 `join` event: a rejoined device starts counting frames from 0 again. */
export function chirpstackJoin(devEui: string, deviceName: string, at: Date) {
  return {
    deduplicationId: randomUUID(),
    time: at.toISOString(),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
      deviceName,
      devEui,
    },
    devAddr: devEui.slice(8),
  };
}

/** What connectivity answers a network server's call. */
export interface WebhookAnswer {
  status: number;
  eventId?: string;
  duplicate?: boolean;
  body: string;
}

/** Posts one event to connectivity's ChirpStack route with the tenant's webhook secret. */
export async function postChirpstack(
  connectivityUrl: string,
  tenant: string,
  secret: string,
  event: 'up' | 'join',
  body: unknown,
): Promise<WebhookAnswer> {
  const response = await fetch(`${connectivityUrl}/lorawan/v1/${tenant}/chirpstack?event=${event}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: { eventId?: string; duplicate?: boolean } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON: the status says enough
  }
  return { status: response.status, eventId: parsed.eventId, duplicate: parsed.duplicate, body: text };
}
