import { round } from '../city-clock';
import type { CommandAnswer, DeviceKind, JsonValue } from './kind';

/** What the lamp's own schedule says: off by day, full when dark, dimmed to half from 00:30 to 05:30. */
export function scheduledLevel(hour: number, sunlight: number): { phase: 'day' | 'dark' | 'late-night'; level: number } {
  if (sunlight >= 0.5) return { phase: 'day', level: 0 };
  if (hour >= 0.5 && hour < 5.5) return { phase: 'late-night', level: 50 };
  return { phase: 'dark', level: 100 };
}

const isLevel = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100;

/**
 * Streetlight controllers on MQTT (Streetlight): a schedule (dusk to dawn, dimmed to half after
 * midnight) that operators override with commands until the next change of phase.
 *
 * Commands: `on` (optional `level`), `off`, `dim` (`level` 0-100), and the registry's
 * `twin.desired` (`{ version, state: { powerState?, dimmingLevel? } }`). Each is answered on the
 * command's response topic, then the lamp reports its twin and a fresh reading. Fault: a lamp
 * fails (no light, no power) until the maintenance crew comes by some readings later.
 */
export const streetlight: DeviceKind = {
  name: 'streetlight',
  transport: 'mqtt',
  entityType: 'Streetlight',
  idPrefix: 'light',
  share: 0.25,
  intervalMs: 120_000,
  profile: () => ({
    name: 'smart-lamp-controller',
    description: 'LED streetlight controller (state, level, power, mains), JSON over MQTT; takes on/off/dim commands',
    entityType: 'Streetlight',
    codec: {
      type: 'jsonata',
      expression: [
        '{',
        '  "powerState": payload.lamp.on ? "on" : "off",',
        '  "illuminanceLevel": payload.lamp.level / 100,',
        '  "powerConsumption": payload.lamp.watts,',
        '  "voltage": payload.mains.mV / 1000,',
        '  "current": payload.mains.mA / 1000,',
        '  "status": $count(payload.faults) = 0 ? "ok" : "defectiveLamp",',
        '  "position": payload.position',
        '}',
      ].join('\n'),
    },
    attributes: [
      { name: 'powerState', source: 'powerState' },
      { name: 'illuminanceLevel', source: 'illuminanceLevel', unitCode: 'C62' },
      { name: 'powerConsumption', source: 'powerConsumption', unitCode: 'WTT' },
      { name: 'voltage', source: 'voltage', unitCode: 'VLT' },
      { name: 'current', source: 'current', unitCode: 'AMP' },
      { name: 'status', source: 'status' },
      { name: 'location', source: 'position', type: 'GeoProperty' },
    ],
  }),
  model: ({ plan, random, clock, faultRate }) => {
    const ratedWatts = random.pick([40, 60, 60, 90]);
    /** An operator's choice, which holds until the schedule moves to its next phase. */
    let override: { phase: string; on: boolean; level: number } | undefined;
    let brokenFor = 0;
    let lastLevel = 100;
    /** The latest moment the lamp was read or commanded: what its twin reports is as of then. */
    let latest = clock.now();

    const current = (at: number) => {
      const schedule = scheduledLevel(clock.hourOf(at), clock.sunlight(at));
      if (override && override.phase !== schedule.phase) override = undefined;
      return override ?? { on: schedule.level > 0, level: schedule.level };
    };
    const state = () => {
      const { on, level } = current(latest);
      return { on, level: on ? level : 0 };
    };
    const setState = (at: number, on: boolean, level: number) => {
      if (on && level > 0) lastLevel = level;
      override = { phase: scheduledLevel(clock.hourOf(at), clock.sunlight(at)).phase, on: on && level > 0, level: on ? level : 0 };
    };
    const answer = (): CommandAnswer => {
      const { on, level } = state();
      return { outcome: 'succeeded', response: { powerState: on ? 'on' : 'off', dimmingLevel: level } };
    };

    return {
      read(at) {
        latest = Math.max(latest, at);
        if (brokenFor === 0 && random.chance(faultRate)) brokenFor = random.integer(5, 20);
        const { on, level } = current(at);
        const broken = brokenFor > 0;
        if (broken) brokenFor--;
        const watts = broken || !on ? 0.8 : 0.8 + (ratedWatts * level) / 100;
        const millivolts = Math.round(230_000 + random.normal(0, 1500));
        const body = {
          lamp: { on: on && !broken, level: on ? level : 0, watts: round(watts + random.normal(0, 0.2), 1) },
          mains: { mV: millivolts, mA: Math.round((watts / (millivolts / 1000)) * 1000) },
          faults: broken ? ['lampFailure'] : [],
          position: plan.location,
        };
        return { payload: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
      },
      command(name, params, at) {
        latest = Math.max(latest, at);
        const args = (typeof params === 'object' && params !== null && !Array.isArray(params) ? params : {}) as Record<string, JsonValue>;
        switch (name) {
          case 'on': {
            const level = args['level'] ?? lastLevel;
            if (!isLevel(level)) return { outcome: 'failed', reason: 'level must be a number from 0 to 100' };
            setState(at, true, level);
            return answer();
          }
          case 'off':
            setState(at, false, 0);
            return answer();
          case 'dim': {
            const level = args['level'];
            if (!isLevel(level)) return { outcome: 'failed', reason: 'dim needs params.level, a number from 0 to 100' };
            setState(at, level > 0, level);
            return answer();
          }
          case 'twin.desired': {
            const desired = (args['state'] ?? {}) as Record<string, JsonValue>;
            const { on, level } = state();
            const wantOn = desired['powerState'] === undefined ? on : desired['powerState'] === 'on';
            const wantLevel = desired['dimmingLevel'] ?? (wantOn && level === 0 ? lastLevel : level);
            if (!isLevel(wantLevel)) return { outcome: 'failed', reason: 'dimmingLevel must be a number from 0 to 100' };
            setState(at, wantOn, wantOn ? wantLevel : 0);
            return answer();
          }
          default:
            return { outcome: 'failed', reason: `unknown command ${name}: a streetlight takes on, off, dim and twin.desired` };
        }
      },
      reported() {
        const { on, level } = state();
        return { powerState: on ? 'on' : 'off', dimmingLevel: level, mode: override ? 'manual' : 'schedule', ratedWatts };
      },
    };
  },
};
