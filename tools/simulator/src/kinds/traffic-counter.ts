import { clamp, dailyPeak, daylight, round } from '../city-clock';
import type { DeviceKind } from './kind';

/** Vehicles per hour on one lane of an arterial road at `hour`. */
export function laneFlow(hour: number): number {
  return 50 + 1100 * dailyPeak(hour, 8.2, 1.1) + 950 * dailyPeak(hour, 17.8, 1.5) + 450 * daylight(hour);
}

const LANE_CAPACITY = 1900; // vehicles per hour

/**
 * Inductive-loop traffic counters reporting JSON over MQTT (TrafficFlowObserved): vehicles in
 * the reporting interval (Poisson around the lane's flow), occupancy, and speeds that drop as
 * the lane fills. Fault: a loop breaks for a few readings and counts nothing.
 */
export const trafficCounter: DeviceKind = {
  name: 'trafficCounter',
  transport: 'mqtt',
  entityType: 'TrafficFlowObserved',
  idPrefix: 'traffic',
  share: 0.1,
  intervalMs: 30_000,
  profile: () => ({
    name: 'traffic-loop-counter',
    description: 'Inductive-loop counter of one lane (vehicles per interval, speed, occupancy), JSON over MQTT',
    entityType: 'TrafficFlowObserved',
    codec: { type: 'json' },
    attributes: [
      { name: 'intensity', source: 'lane.vehicles' },
      { name: 'averageVehicleSpeed', source: 'lane.speedKmh', unitCode: 'KMH' },
      { name: 'occupancy', source: 'lane.occupancyPct', scale: 0.01, unitCode: 'C62' },
      { name: 'congested', source: 'lane.congested' },
      { name: 'laneId', source: 'lane.id' },
      { name: 'laneDirection', source: 'lane.direction' },
      { name: 'location', source: 'position', type: 'GeoProperty' },
    ],
  }),
  model: ({ random, clock, faultRate, plan }) => {
    const roadClass = random.between(0.5, 1.3);
    const laneId = random.integer(1, 3);
    const direction = random.chance(0.5) ? 'forward' : 'backward';
    const freeSpeed = random.pick([30, 50, 50, 70]);
    let brokenFor = 0;
    let lastAt: number | undefined;
    return {
      read(at) {
        const hours = clamp((at - (lastAt ?? at - 30_000)) / 3_600_000, 1 / 3600, 1);
        lastAt = at;
        if (brokenFor === 0 && random.chance(faultRate)) brokenFor = random.integer(3, 10);
        const flow = laneFlow(clock.hourOf(at)) * roadClass;
        const occupancy = clamp(flow / LANE_CAPACITY + random.normal(0, 0.03), 0, 0.98);
        const lane = brokenFor > 0
          ? { id: laneId, vehicles: 0, speedKmh: 0, occupancyPct: 0, congested: false, direction }
          : {
              id: laneId,
              vehicles: random.poisson(flow * hours),
              speedKmh: round(Math.max(5, freeSpeed * (1 - 0.6 * occupancy * occupancy) + random.normal(0, 3)), 1),
              occupancyPct: round(occupancy * 100, 0),
              congested: occupancy > 0.55,
              direction,
            };
        if (brokenFor > 0) brokenFor--;
        return { payload: Buffer.from(JSON.stringify({ lane, position: plan.location })), contentType: 'application/json' };
      },
    };
  },
};
