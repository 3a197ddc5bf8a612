import { clamp, dailySwing, daylight } from '../city-clock';
import { encodeLpp } from './cayenne-lpp';
import type { DeviceKind } from './kind';

/** The collection round passes between these hours. */
const COLLECTION = { from: 5, to: 8, whenFullerThan: 60 };

/**
 * Ultrasonic fill-level sensors in street bins, posting Cayenne LPP over HTTP ingest
 * (WasteContainer): bins fill mostly by day, organic ones faster and warmer; the early
 * collection round empties the fuller ones. Fault: something covers the sensor and it reads the
 * bin as full for one reading.
 */
export const wasteContainer: DeviceKind = {
  name: 'wasteContainer',
  transport: 'http',
  entityType: 'WasteContainer',
  idPrefix: 'bin',
  share: 0.15,
  intervalMs: 300_000,
  profile: () => ({
    name: 'ultrasonic-bin-sensor',
    description: 'Ultrasonic fill-level sensor in a street bin: Cayenne LPP (fill %, temperature, GPS) over HTTP',
    entityType: 'WasteContainer',
    codec: { type: 'cayenne-lpp' },
    attributes: [
      { name: 'fillingLevel', source: 'percentage_1', scale: 0.01, unitCode: 'C62' },
      { name: 'temperature', source: 'temperature_2', unitCode: 'CEL' },
      { name: 'location', source: 'gps_3', type: 'GeoProperty' },
    ],
  }),
  model: ({ plan, random, clock, faultRate }) => {
    const organic = random.chance(0.3);
    const fillPerHour = random.between(0.6, 2.2) * (organic ? 1.6 : 1);
    let fill = random.between(2, 70);
    let lastAt: number | undefined;
    return {
      read(at) {
        const hours = Math.max(0, (at - (lastAt ?? at)) / 3_600_000);
        lastAt = at;
        const hour = clock.hourOf(at);
        fill = clamp(fill + fillPerHour * hours * (0.3 + 1.4 * daylight(hour)) + random.normal(0, 0.3), 0, 100);
        const collecting = hour >= COLLECTION.from && hour < COLLECTION.to && fill > COLLECTION.whenFullerThan;
        if (collecting && random.chance(1 - Math.exp(-1.5 * hours))) fill = random.between(1, 4);
        const reported = random.chance(faultRate) ? 100 : fill;
        const temperature = dailySwing(hour, 7, 18) + (organic ? 3 : 0) + random.normal(0, 0.4);
        return {
          payload: encodeLpp([
            { channel: 1, type: 'percentage', value: reported },
            { channel: 2, type: 'temperature', value: temperature },
            { channel: 3, type: 'gps', value: { ...plan.location, altitude: 0 } },
          ]),
          contentType: 'application/octet-stream',
        };
      },
    };
  },
};
