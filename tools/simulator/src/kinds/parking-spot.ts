import { clamp, dailyPeak } from '../city-clock';
import type { DeviceKind } from './kind';

/** The share of on-street spaces taken at `hour`: full during business hours, a shopping evening, empty-ish at night. */
export function parkingDemand(hour: number): number {
  return clamp(0.25 + 0.65 * Math.max(dailyPeak(hour, 11.5, 2.6), 0.85 * dailyPeak(hour, 18.5, 2)), 0.05, 0.95);
}

const MEAN_STAY_HOURS = 1.5;
const OCCUPIED = 0b01;
const SENSOR_FAULT = 0b10;

/**
 * On-street magnetometer parking sensors on LoRaWAN (ParkingSpot), heard through the network
 * server's webhook. A spot is a two-state process: cars stay 1.5 h on average and arrive at the
 * rate that keeps the street as full as the hour's demand. Frame (fPort 3): one flags byte
 * (bit 0 occupied, bit 1 magnetic interference) and the battery in centivolts.
 */
export const parkingSpot: DeviceKind = {
  name: 'parkingSpot',
  transport: 'lorawan',
  entityType: 'ParkingSpot',
  idPrefix: 'parking',
  share: 0.4,
  intervalMs: 60_000,
  profile: (tenant) => ({
    name: 'magnetometer-parking-sensor',
    description: 'On-street magnetometer parking sensor on LoRaWAN: flags byte (bit 0 occupied, bit 1 interference), battery in centivolts',
    entityType: 'ParkingSpot',
    codec: {
      type: 'jsonata',
      expression: [
        '{',
        '  "status": bytes[0] >= 2 ? "unknown" : (bytes[0] = 1 ? "occupied" : "free"),',
        '  "batteryLevel": $round($max([0, $min([1, ((bytes[1] * 256 + bytes[2]) / 100 - 3.0) / 0.6])]), 2),',
        `  "refDevice": "urn:ngsi-ld:Device:${tenant}:" & deviceId`,
        '}',
      ].join('\n'),
    },
    attributes: [
      { name: 'status', source: 'status' },
      { name: 'batteryLevel', source: 'batteryLevel', unitCode: 'C62' },
      { name: 'refDevice', source: 'refDevice', type: 'Relationship' },
    ],
  }),
  model: ({ random, clock, faultRate }) => {
    const popularity = random.normal(0, 0.1);
    let occupied = random.chance(parkingDemand(clock.hourOf(clock.now())));
    let battery = random.between(3.35, 3.6);
    let lastAt: number | undefined;
    return {
      read(at) {
        const hours = Math.max(0, (at - (lastAt ?? at)) / 3_600_000);
        lastAt = at;
        const demand = clamp(parkingDemand(clock.hourOf(at)) + popularity, 0.02, 0.98);
        const leaving = 1 / MEAN_STAY_HOURS;
        const arriving = (leaving * demand) / (1 - demand);
        if (random.chance(1 - Math.exp(-(occupied ? leaving : arriving) * hours))) occupied = !occupied;
        battery = Math.max(2.9, battery - 0.00002 - Math.abs(random.normal(0, 0.00001)));
        const centivolts = Math.round(battery * 100);
        const flags = (occupied ? OCCUPIED : 0) | (random.chance(faultRate) ? SENSOR_FAULT : 0);
        return { payload: Buffer.from([flags, centivolts >> 8, centivolts & 0xff]), fPort: 3 };
      },
    };
  },
};
