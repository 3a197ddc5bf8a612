import type { CityClock } from '../city-clock';
import type { Random } from '../random';

export const DEVICE_KIND_NAMES = ['airQuality', 'parkingSpot', 'streetlight', 'wasteContainer', 'trafficCounter'] as const;
export type DeviceKindName = (typeof DEVICE_KIND_NAMES)[number];

export type Transport = 'mqtt' | 'http' | 'lorawan';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A device profile as `POST /devices/v1/profiles` takes it. */
export interface ProfileBody {
  name: string;
  description: string;
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
}

export interface Place {
  latitude: number;
  longitude: number;
}

/** One device of the district as planned: who it is and where. */
export interface DevicePlan {
  id: string;
  kind: DeviceKindName;
  location: Place;
  /** LoRaWAN devices only. */
  devEui?: string;
  /** A device whose battery runs out: it sends this many readings, then nothing. */
  silentAfter?: number;
  entityType: string;
  /** `urn:ngsi-ld:<entityType>:<tenant>:<deviceId>`, as the devices service names it. */
  entityId: string;
}

/** What a device sends once. */
export interface Reading {
  payload: Buffer;
  contentType?: string;
  /** LoRaWAN application port. */
  fPort?: number;
}

/** A device's answer to a command, as connectivity takes it on `.../commands/<id>/response`. */
export interface CommandAnswer {
  outcome: 'succeeded' | 'failed';
  response?: JsonValue;
  reason?: string;
}

/** The behaviour of one device: its state, how it changes, what it sends. */
export interface DeviceModel {
  /** Advances the device to simulated time `at` (ms) and encodes what it sends now. */
  read(at: number): Reading;
  /** Devices that take commands apply one and answer it. */
  command?(name: string, params: JsonValue | undefined, at: number): CommandAnswer;
  /** The state a device reports in its twin (when it connects and after each command). */
  reported?(): Record<string, JsonValue>;
}

export interface DeviceContext {
  tenant: string;
  plan: DevicePlan;
  random: Random;
  clock: CityClock;
  /** Chance per reading that a fault begins. */
  faultRate: number;
}

/** A kind of city device: its transport, its profile (codec → Smart Data Model), its dynamics. */
export interface DeviceKind {
  name: DeviceKindName;
  transport: Transport;
  entityType: string;
  /** Device ids are `<idPrefix>-<nnn>`. */
  idPrefix: string;
  /** Its share of a district given as a total. */
  share: number;
  /** How often it reports by default, ms. */
  intervalMs: number;
  /** The profile; the tenant is for references to the tenant's own entities. */
  profile(tenant: string): ProfileBody;
  model(context: DeviceContext): DeviceModel;
}
