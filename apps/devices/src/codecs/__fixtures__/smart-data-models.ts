// Device profiles and uplinks modelled on the Smart Data Models examples (AirQualityObserved,
// WeatherObserved, ParkingSpot, Streetlight, WasteContainer, TrafficFlowObserved): what a city's
// sensors send, and the NGSI-LD attributes the profile must produce from it. Shared by the
// codec unit tests, the decoding integration test and tools/bench/devices.
import { encodeCayenneLpp } from '../cayenne-lpp';
import type { JsonValue } from '../../common/json';

export interface ObservationFixture {
  /** Smart Data Models entity type. */
  entityType: string;
  /** The profile body as POST /devices/v1/profiles takes it. */
  profile: {
    name: string;
    entityType: string;
    codec: { type: 'json' } | { type: 'cayenne-lpp' } | { type: 'jsonata'; expression: string };
    attributes: {
      name: string;
      source: string;
      type?: 'Property' | 'GeoProperty' | 'Relationship';
      unitCode?: string;
      scale?: number;
    }[];
    expectedIntervalSeconds?: number;
  };
  payload: Buffer;
  contentType?: string;
  fPort?: number;
  /** The attributes the observation must carry, in profile order. */
  expected: { name: string; type: string; value: JsonValue; unitCode?: string }[];
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export const OBSERVATION_FIXTURES: readonly ObservationFixture[] = [
  {
    entityType: 'AirQualityObserved',
    profile: {
      name: 'air-quality-station',
      entityType: 'AirQualityObserved',
      codec: { type: 'json' },
      attributes: [
        { name: 'no2', source: 'gases.no2', unitCode: 'GQ' },
        { name: 'co', source: 'gases.co', unitCode: 'GP' },
        { name: 'pm10', source: 'pm.pm10', unitCode: 'GQ' },
        { name: 'pm25', source: 'pm.pm25', unitCode: 'GQ' },
        { name: 'temperature', source: 'temp', unitCode: 'CEL' },
        { name: 'relativeHumidity', source: 'rh', scale: 0.01, unitCode: 'P1' },
        { name: 'location', source: 'position', type: 'GeoProperty' },
      ],
      expectedIntervalSeconds: 600,
    },
    payload: json({
      gases: { no2: 69, co: 500 },
      pm: { pm10: 37, pm25: 21 },
      temp: 12.2,
      rh: 54,
      position: { latitude: 40.4238, longitude: -3.7122 },
    }),
    contentType: 'application/json',
    expected: [
      { name: 'no2', type: 'Property', value: 69, unitCode: 'GQ' },
      { name: 'co', type: 'Property', value: 500, unitCode: 'GP' },
      { name: 'pm10', type: 'Property', value: 37, unitCode: 'GQ' },
      { name: 'pm25', type: 'Property', value: 21, unitCode: 'GQ' },
      { name: 'temperature', type: 'Property', value: 12.2, unitCode: 'CEL' },
      { name: 'relativeHumidity', type: 'Property', value: 0.54, unitCode: 'P1' },
      { name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7122, 40.4238] } },
    ],
  },
  {
    entityType: 'TrafficFlowObserved',
    profile: {
      name: 'traffic-loop-counter',
      entityType: 'TrafficFlowObserved',
      codec: { type: 'json' },
      attributes: [
        { name: 'intensity', source: 'lane.vehicles' },
        { name: 'averageVehicleSpeed', source: 'lane.speedKmh', unitCode: 'KMH' },
        { name: 'occupancy', source: 'lane.occupancyPct', scale: 0.01 },
        { name: 'laneId', source: 'lane.id' },
        { name: 'reversedLane', source: 'lane.reversed' },
      ],
      expectedIntervalSeconds: 300,
    },
    payload: json({ lane: { id: 1, vehicles: 197, speedKmh: 52.6, occupancyPct: 76, reversed: false } }),
    contentType: 'application/json',
    expected: [
      { name: 'intensity', type: 'Property', value: 197 },
      { name: 'averageVehicleSpeed', type: 'Property', value: 52.6, unitCode: 'KMH' },
      { name: 'occupancy', type: 'Property', value: 0.76 },
      { name: 'laneId', type: 'Property', value: 1 },
      { name: 'reversedLane', type: 'Property', value: false },
    ],
  },
  {
    entityType: 'WeatherObserved',
    profile: {
      name: 'lorawan-weather-station',
      entityType: 'WeatherObserved',
      codec: { type: 'cayenne-lpp' },
      attributes: [
        { name: 'temperature', source: 'temperature_1', unitCode: 'CEL' },
        { name: 'relativeHumidity', source: 'humidity_2', scale: 0.01, unitCode: 'P1' },
        { name: 'atmosphericPressure', source: 'barometer_3', unitCode: 'A97' },
        { name: 'illuminance', source: 'illuminance_4', unitCode: 'LUX' },
        { name: 'location', source: 'gps_5', type: 'GeoProperty' },
      ],
      expectedIntervalSeconds: 900,
    },
    payload: encodeCayenneLpp([
      { channel: 1, type: 'temperature', value: 3.3 },
      { channel: 2, type: 'humidity', value: 81.5 },
      { channel: 3, type: 'barometer', value: 938.9 },
      { channel: 4, type: 'illuminance', value: 1000 },
      { channel: 5, type: 'gps', value: { latitude: 41.6408, longitude: -4.7544, altitude: 690 } },
    ]),
    fPort: 1,
    expected: [
      { name: 'temperature', type: 'Property', value: 3.3, unitCode: 'CEL' },
      { name: 'relativeHumidity', type: 'Property', value: 0.815, unitCode: 'P1' },
      { name: 'atmosphericPressure', type: 'Property', value: 938.9, unitCode: 'A97' },
      { name: 'illuminance', type: 'Property', value: 1000, unitCode: 'LUX' },
      { name: 'location', type: 'GeoProperty', value: { type: 'Point', coordinates: [-4.7544, 41.6408] } },
    ],
  },
  {
    entityType: 'WasteContainer',
    profile: {
      name: 'ultrasonic-bin-sensor',
      entityType: 'WasteContainer',
      codec: { type: 'cayenne-lpp' },
      attributes: [
        { name: 'fillingLevel', source: 'percentage_1', scale: 0.01, unitCode: 'P1' },
        { name: 'temperature', source: 'temperature_2', unitCode: 'CEL' },
      ],
      expectedIntervalSeconds: 3600,
    },
    payload: encodeCayenneLpp([
      { channel: 1, type: 'percentage', value: 83 },
      { channel: 2, type: 'temperature', value: -2.5 },
    ]),
    fPort: 2,
    expected: [
      { name: 'fillingLevel', type: 'Property', value: 0.83, unitCode: 'P1' },
      { name: 'temperature', type: 'Property', value: -2.5, unitCode: 'CEL' },
    ],
  },
  {
    entityType: 'ParkingSpot',
    profile: {
      name: 'magnetometer-parking-sensor',
      entityType: 'ParkingSpot',
      // One status byte (bit 0: occupied), then the sensor's battery voltage in centivolts.
      codec: {
        type: 'jsonata',
        expression:
          '{ "status": $boolean(bytes[0] % 2) ? "occupied" : "free", "battery": (bytes[1] * 256 + bytes[2]) / 100, "refParkingSite": "urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5" }',
      },
      attributes: [
        { name: 'status', source: 'status' },
        { name: 'batteryVoltage', source: 'battery', unitCode: 'VLT' },
        { name: 'refParkingSite', source: 'refParkingSite', type: 'Relationship' },
      ],
      expectedIntervalSeconds: 1800,
    },
    payload: Buffer.from([0x01, 0x01, 0x4a]),
    fPort: 3,
    expected: [
      { name: 'status', type: 'Property', value: 'occupied' },
      { name: 'batteryVoltage', type: 'Property', value: 3.3, unitCode: 'VLT' },
      {
        name: 'refParkingSite',
        type: 'Relationship',
        value: 'urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5',
      },
    ],
  },
  {
    entityType: 'Streetlight',
    profile: {
      name: 'smart-lamp-controller',
      entityType: 'Streetlight',
      codec: {
        type: 'jsonata',
        expression:
          '{ "powerState": payload.lamp.on ? "on" : "off", "powerConsumption": payload.lamp.watts, "voltage": payload.mains.mV / 1000, "current": payload.mains.mA, "status": $count(payload.faults) = 0 ? "ok" : "defectiveLamp" }',
      },
      attributes: [
        { name: 'powerState', source: 'powerState' },
        { name: 'powerConsumption', source: 'powerConsumption', unitCode: 'WTT' },
        { name: 'voltage', source: 'voltage', unitCode: 'VLT' },
        { name: 'current', source: 'current', unitCode: '4K' },
        { name: 'status', source: 'status' },
      ],
      expectedIntervalSeconds: 900,
    },
    payload: json({ lamp: { on: false, watts: 10 }, mains: { mV: 230_100, mA: 250 }, faults: [] }),
    contentType: 'application/json',
    expected: [
      { name: 'powerState', type: 'Property', value: 'off' },
      { name: 'powerConsumption', type: 'Property', value: 10, unitCode: 'WTT' },
      { name: 'voltage', type: 'Property', value: 230.1, unitCode: 'VLT' },
      { name: 'current', type: 'Property', value: 250, unitCode: '4K' },
      { name: 'status', type: 'Property', value: 'ok' },
    ],
  },
];
