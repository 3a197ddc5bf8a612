import { clamp, dailyPeak, dailySwing, daylight, round } from '../city-clock';
import type { DeviceKind } from './kind';

/** How busy the roads are, 0..1: the two rush hours and a daytime plateau. */
export function roadActivity(hour: number): number {
  return clamp(0.08 + 0.8 * Math.max(dailyPeak(hour, 8.5, 1.3), 0.85 * dailyPeak(hour, 18, 1.6)) + 0.25 * daylight(hour), 0, 1);
}

/**
 * Roadside air-quality stations reporting JSON over MQTT (AirQualityObserved). NO2, CO and PM
 * follow the traffic with a station's own exposure; ozone builds up on sunny afternoons and is
 * eaten by NO2; temperature and humidity swing over the day. Fault: the optical PM sensor
 * fouls now and then and reports one absurd spike.
 */
export const airQuality: DeviceKind = {
  name: 'airQuality',
  transport: 'mqtt',
  entityType: 'AirQualityObserved',
  idPrefix: 'aq',
  share: 0.1,
  intervalMs: 60_000,
  profile: () => ({
    name: 'air-quality-station',
    description: 'Roadside air-quality station (NO2, O3, CO, PM10, PM2.5, temperature, humidity), JSON over MQTT',
    entityType: 'AirQualityObserved',
    codec: { type: 'json' },
    attributes: [
      { name: 'no2', source: 'gases.no2', unitCode: 'GQ' },
      { name: 'o3', source: 'gases.o3', unitCode: 'GQ' },
      { name: 'co', source: 'gases.co', unitCode: 'GP' },
      { name: 'pm10', source: 'pm.pm10', unitCode: 'GQ' },
      { name: 'pm25', source: 'pm.pm25', unitCode: 'GQ' },
      { name: 'temperature', source: 'temp', unitCode: 'CEL' },
      { name: 'relativeHumidity', source: 'rh', scale: 0.01, unitCode: 'C62' },
      { name: 'location', source: 'position', type: 'GeoProperty' },
    ],
  }),
  model: ({ plan, random, clock, faultRate }) => {
    const exposure = random.between(0.6, 1.4);
    const warmth = random.normal(0, 0.8);
    let drift = 0; // slow, weather-like wander of the background levels
    let noise = 0;
    return {
      read(at) {
        const hour = clock.hourOf(at);
        const traffic = roadActivity(hour) * exposure;
        drift = clamp(0.97 * drift + random.normal(0, 0.6), -8, 8);
        noise = 0.7 * noise + random.normal(0, 1);
        const no2 = Math.max(2, 10 + 60 * traffic + 3 * noise + drift);
        const o3 = Math.max(2, 18 + 75 * clock.sunlight(at) * dailyPeak(hour, 15, 3) - 0.3 * no2 + random.normal(0, 3));
        const co = Math.max(0.1, 0.25 + 0.9 * traffic + random.normal(0, 0.04));
        let pm10 = Math.max(3, 12 + 22 * traffic + drift + random.normal(0, 2));
        let pm25 = Math.max(2, 0.6 * pm10 + random.normal(0, 1.2));
        if (random.chance(faultRate)) {
          const spike = random.between(6, 10);
          pm10 *= spike;
          pm25 *= spike;
        }
        const temp = dailySwing(hour, 8, 19) + warmth + random.normal(0, 0.3);
        const rh = clamp(92 - (temp - 8) * 3 + random.normal(0, 3), 20, 100);
        const body = {
          gases: { no2: round(no2, 1), o3: round(o3, 1), co: round(co, 2) },
          pm: { pm10: round(pm10, 1), pm25: round(pm25, 1) },
          temp: round(temp, 1),
          rh: round(rh, 0),
          position: plan.location,
        };
        return { payload: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
      },
    };
  },
};
