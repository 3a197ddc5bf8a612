import jsonata from 'jsonata';
import { cityClock } from '../city-clock';
import { planDistrict } from '../district-plan';
import { Random } from '../random';
import { encodeLpp } from './cayenne-lpp';
import { DEVICE_KINDS, type DeviceKindName, type DeviceModel } from './index';
import { parkingDemand } from './parking-spot';
import { scheduledLevel } from './streetlight';
import { laneFlow } from './traffic-counter';

const HOUR = 3_600_000;
/** Midnight UTC of a winter day; the clock runs in UTC so hours are the test's. */
const DAY = Date.UTC(2026, 11, 1);

function modelOf(kind: DeviceKindName, seed = 1, faultRate = 0): { model: DeviceModel; at: (hour: number) => number } {
  const plan = planDistrict({ tenant: 'demo', devices: { [kind]: 1 }, silentShare: 0 }).devices[0];
  if (!plan) throw new Error('no device planned');
  const clock = cityClock({ utcOffsetMinutes: 0, startAt: DAY, realNow: () => DAY });
  const model = DEVICE_KINDS[kind].model({ tenant: 'demo', plan, random: new Random(seed), clock, faultRate });
  return { model, at: (hour) => DAY + hour * HOUR };
}

/** The decoded fields as the devices service's codecs would see them, minimally: JSON, JSONata, Cayenne LPP. */
async function fieldsOf(kind: DeviceKindName, payload: Buffer): Promise<Record<string, unknown>> {
  const { codec } = DEVICE_KINDS[kind].profile('demo');
  if (codec.type === 'json') return JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  if (codec.type === 'jsonata') {
    const first = payload[0];
    const json = first === 0x7b || first === 0x5b ? (JSON.parse(payload.toString('utf8')) as unknown) : null;
    return (await jsonata(codec.expression).evaluate({ payload: json, bytes: [...payload], hex: payload.toString('hex'), fPort: 3, deviceId: 'dev-1' })) as Record<string, unknown>;
  }
  // Cayenne LPP: what the bins send, channel by channel (percentage 120, temperature 103, gps 136).
  const fields: Record<string, unknown> = {};
  for (let offset = 0; offset < payload.length; ) {
    const channel = payload[offset] ?? 0;
    const type = payload[offset + 1];
    if (type === 120) fields[`percentage_${channel}`] = payload[offset + 2];
    if (type === 103) fields[`temperature_${channel}`] = payload.readInt16BE(offset + 2) / 10;
    if (type === 136) fields[`gps_${channel}`] = { latitude: payload.readIntBE(offset + 2, 3) / 10_000, longitude: payload.readIntBE(offset + 5, 3) / 10_000 };
    offset += type === 120 ? 3 : type === 103 ? 4 : 11;
  }
  return fields;
}

const valueAt = (fields: Record<string, unknown>, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], fields);

describe('device kinds', () => {
  it.each(Object.keys(DEVICE_KINDS) as DeviceKindName[])('%s: every profile attribute is in what the device sends', async (kind) => {
    const { model, at } = modelOf(kind);
    const profile = DEVICE_KINDS[kind].profile('demo');
    expect(profile.entityType).toBe(DEVICE_KINDS[kind].entityType);
    for (const hour of [3, 8.5, 13, 18, 22]) {
      const fields = await fieldsOf(kind, model.read(at(hour)).payload);
      for (const attribute of profile.attributes) {
        expect({ attribute: attribute.name, present: valueAt(fields, attribute.source) !== undefined }).toEqual({ attribute: attribute.name, present: true });
      }
    }
  });

  it('parking: full at midday, emptier at night, spots following the demand', () => {
    expect(parkingDemand(11.5)).toBeGreaterThan(0.8);
    expect(parkingDemand(3)).toBeLessThan(0.35);
    const occupiedAt = (hour: number) => {
      let occupied = 0;
      for (let seed = 0; seed < 300; seed++) {
        const { model, at } = modelOf('parkingSpot', seed);
        // a few hours of readings every ten minutes, so the spot forgets where it started
        let last: Buffer = Buffer.alloc(3);
        for (let t = hour - 4; t <= hour; t += 1 / 6) last = model.read(at(t)).payload;
        if (((last[0] ?? 0) & 1) === 1) occupied++;
      }
      return occupied / 300;
    };
    expect(occupiedAt(12)).toBeGreaterThan(0.65);
    expect(occupiedAt(4)).toBeLessThan(0.45);
  });

  it('parking: the frame decodes to status, battery level and the device it comes from', async () => {
    const fields = await fieldsOf('parkingSpot', Buffer.from([0b01, 0x01, 0x5e])); // occupied, 3.50 V
    expect(fields).toEqual({ status: 'occupied', batteryLevel: 0.83, refDevice: 'urn:ngsi-ld:Device:demo:dev-1' });
    expect((await fieldsOf('parkingSpot', Buffer.from([0b11, 0x01, 0x2c]))).status).toBe('unknown');
    expect((await fieldsOf('parkingSpot', Buffer.from([0, 0x01, 0x2c]))).batteryLevel).toBe(0);
  });

  it('traffic: rush hours carry many more vehicles than the night, and slow them down', async () => {
    expect(laneFlow(8.2)).toBeGreaterThan(5 * laneFlow(3));
    const { model, at } = modelOf('trafficCounter');
    const lane = async (hour: number) => (await fieldsOf('trafficCounter', model.read(at(hour)).payload))['lane'] as { vehicles: number; speedKmh: number };
    await lane(7.9);
    const rush = await lane(8.2);
    await lane(2.9);
    const night = await lane(3);
    expect(rush.vehicles).toBeGreaterThan(night.vehicles);
  });

  it('air quality: NO2 follows the rush hour', async () => {
    const average = async (hour: number) => {
      let sum = 0;
      for (let seed = 0; seed < 50; seed++) {
        const { model, at } = modelOf('airQuality', seed);
        sum += ((await fieldsOf('airQuality', model.read(at(hour)).payload))['gases'] as { no2: number }).no2;
      }
      return sum / 50;
    };
    expect(await average(8.5)).toBeGreaterThan(1.8 * (await average(3)));
  });

  it('waste: bins fill by day and the morning round empties the fuller ones', async () => {
    let collections = 0;
    for (let seed = 0; seed < 10; seed++) {
      const { model, at } = modelOf('wasteContainer', seed);
      const fill = async (hour: number) => (await fieldsOf('wasteContainer', model.read(at(hour)).payload))['percentage_1'] as number;
      let previous = await fill(9);
      for (let hour = 9.5; hour < 9 + 24 * 5; hour += 0.5) {
        const level = await fill(hour);
        const local = hour % 24;
        if (level < previous - 2) {
          // only the collection round empties a bin, and only a fuller one (over 60 % as it fills on)
          expect({ hour: local, previous, level, collected: local >= 5 && local < 8 && previous > 55 }).toEqual({ hour: local, previous, level, collected: true });
          expect(level).toBeLessThan(5);
          collections++;
        }
        previous = level;
      }
    }
    expect(collections).toBeGreaterThan(3);
  });

  it('waste: encodes Cayenne LPP as the bins’ firmware does', () => {
    expect(encodeLpp([{ channel: 1, type: 'percentage', value: 83 }, { channel: 2, type: 'temperature', value: -2.5 }]).toString('hex')).toBe('017853' + '0267ffe7');
  });

  describe('streetlights', () => {
    it('light up when it is dark and dim after midnight', () => {
      expect(scheduledLevel(13, 1)).toEqual({ phase: 'day', level: 0 });
      expect(scheduledLevel(20, 0)).toEqual({ phase: 'dark', level: 100 });
      expect(scheduledLevel(2, 0)).toEqual({ phase: 'late-night', level: 50 });
    });

    it('take on, off and dim, answer each, and keep the operator’s choice until the next phase', async () => {
      const { model, at } = modelOf('streetlight');
      const lamp = async (hour: number) => (await fieldsOf('streetlight', model.read(at(hour)).payload)) as { powerState: string; illuminanceLevel: number };
      expect(await lamp(13)).toMatchObject({ powerState: 'off', illuminanceLevel: 0 });
      expect(model.command?.('dim', { level: 30 }, at(13))).toEqual({ outcome: 'succeeded', response: { powerState: 'on', dimmingLevel: 30 } });
      expect(await lamp(13.5)).toMatchObject({ powerState: 'on', illuminanceLevel: 0.3 });
      expect(model.reported?.()).toMatchObject({ powerState: 'on', dimmingLevel: 30, mode: 'manual' });
      expect(model.command?.('off', undefined, at(14))).toMatchObject({ outcome: 'succeeded', response: { powerState: 'off' } });
      expect(model.command?.('on', undefined, at(14))).toMatchObject({ response: { powerState: 'on', dimmingLevel: 30 } });
      // dusk: the schedule takes over again
      expect(await lamp(20)).toMatchObject({ powerState: 'on', illuminanceLevel: 1 });
      expect(model.reported?.()).toMatchObject({ mode: 'schedule' });
    });

    it('refuse what they cannot do, saying why', () => {
      const { model, at } = modelOf('streetlight');
      expect(model.command?.('dim', { level: 150 }, at(12))).toEqual({ outcome: 'failed', reason: 'dim needs params.level, a number from 0 to 100' });
      expect(model.command?.('dim', undefined, at(12))?.outcome).toBe('failed');
      expect(model.command?.('blink', undefined, at(12))?.reason).toMatch(/unknown command blink/);
    });

    it('apply the registry’s desired state', () => {
      const { model, at } = modelOf('streetlight');
      expect(model.command?.('twin.desired', { version: 3, state: { powerState: 'on', dimmingLevel: 40 } }, at(12))).toMatchObject({
        outcome: 'succeeded',
        response: { powerState: 'on', dimmingLevel: 40 },
      });
    });

    it('report a failed lamp as drawing no power', async () => {
      const { model, at } = modelOf('streetlight', 1, 1);
      const fields = await fieldsOf('streetlight', model.read(at(20)).payload);
      expect(fields).toMatchObject({ status: 'defectiveLamp', powerState: 'off' });
      expect(fields['powerConsumption']).toBeLessThan(2);
    });
  });
});
