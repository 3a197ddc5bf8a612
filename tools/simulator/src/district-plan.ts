import { DEVICE_KIND_NAMES, DEVICE_KINDS, type DeviceKindName, type DevicePlan, type Place } from './kinds';
import { Random, seedOf } from './random';

/** A LoRaWAN gateway on a rooftop of the district. */
export interface Gateway extends Place {
  /** Gateway EUI, as ChirpStack names gateways. */
  id: string;
}

export interface DistrictPlan {
  tenant: string;
  devices: DevicePlan[];
  gateways: Gateway[];
}

export interface DistrictPlanOptions {
  tenant: string;
  /** A total (split by each kind's share) or a count per kind. */
  devices: number | Partial<Record<DeviceKindName, number>>;
  seed?: number;
  /** Share of devices that fall silent after a few readings. Default 0.03. */
  silentShare?: number;
  /** Prepended to every device id, so several districts can share a tenant. */
  idPrefix?: string;
  centre?: Place;
  radiusMetres?: number;
}

/** Santander, whose SmartSantander testbed put thousands of such sensors on its streets. */
export const DEFAULT_CENTRE: Place = { latitude: 43.4623, longitude: -3.81 };

/** Splits a total by the kinds' shares (largest remainder, so the counts add up). */
export function countsOf(total: number): Record<DeviceKindName, number> {
  const exact = DEVICE_KIND_NAMES.map((name) => ({ name, value: total * DEVICE_KINDS[name].share }));
  const counts = Object.fromEntries(exact.map(({ name, value }) => [name, Math.floor(value)])) as Record<DeviceKindName, number>;
  let left = total - Object.values(counts).reduce((sum, count) => sum + count, 0);
  for (const { name } of [...exact].sort((a, b) => (b.value % 1) - (a.value % 1))) {
    if (left-- <= 0) break;
    counts[name]++;
  }
  return counts;
}

const METRES_PER_DEGREE = 111_320;

function placeNear(centre: Place, metres: number, random: Random): Place {
  const distance = metres * Math.sqrt(random.next());
  const bearing = random.between(0, 2 * Math.PI);
  const latitude = centre.latitude + (distance * Math.cos(bearing)) / METRES_PER_DEGREE;
  const longitude =
    centre.longitude + (distance * Math.sin(bearing)) / (METRES_PER_DEGREE * Math.cos((centre.latitude * Math.PI) / 180));
  // Four decimals (~10 m): what Cayenne LPP's GPS type carries, so every transport reports the same place.
  return { latitude: Math.round(latitude * 10_000) / 10_000, longitude: Math.round(longitude * 10_000) / 10_000 };
}

/** Metres between two places (equirectangular: plenty inside a district). */
export function distanceMetres(a: Place, b: Place): number {
  const x = (b.longitude - a.longitude) * Math.cos((((a.latitude + b.latitude) / 2) * Math.PI) / 180);
  const y = b.latitude - a.latitude;
  return Math.sqrt(x * x + y * y) * METRES_PER_DEGREE;
}

const hex32 = (value: number) => (value >>> 0).toString(16).padStart(8, '0');

/**
 * The district's devices and gateways, the same for the same options: ids `<prefix><kind>-<nnn>`,
 * places within `radiusMetres` of the centre, DevEUIs for LoRaWAN devices, which ones go silent.
 */
export function planDistrict(options: DistrictPlanOptions): DistrictPlan {
  const { tenant } = options;
  const seed = options.seed ?? 1;
  const centre = options.centre ?? DEFAULT_CENTRE;
  const radius = options.radiusMetres ?? 900;
  const silentShare = options.silentShare ?? 0.03;
  const prefix = options.idPrefix ?? '';
  const counts = typeof options.devices === 'number' ? countsOf(options.devices) : options.devices;

  const gatewayRandom = new Random(seedOf(seed, 'gateways'));
  const gateways: Gateway[] = [0, 1, 2].map((i) => {
    const bearing = (i * 2 * Math.PI) / 3 + gatewayRandom.normal(0, 0.2);
    const distance = radius * 0.55;
    return {
      id: `0016c001${hex32(seedOf(seed, 'gateway', i)).slice(0, 8)}`,
      latitude: centre.latitude + (distance * Math.cos(bearing)) / METRES_PER_DEGREE,
      longitude:
        centre.longitude + (distance * Math.sin(bearing)) / (METRES_PER_DEGREE * Math.cos((centre.latitude * Math.PI) / 180)),
    };
  });

  const devices: DevicePlan[] = [];
  for (const name of DEVICE_KIND_NAMES) {
    const kind = DEVICE_KINDS[name];
    for (let n = 1; n <= (counts[name] ?? 0); n++) {
      const id = `${prefix}${kind.idPrefix}-${String(n).padStart(3, '0')}`;
      const random = new Random(seedOf(seed, tenant, id));
      const silent = random.chance(silentShare);
      devices.push({
        id,
        kind: name,
        location: placeNear(centre, radius, random),
        ...(kind.transport === 'lorawan' && { devEui: hex32(seedOf(tenant, id, 'eui-high')) + hex32(seedOf(tenant, id, 'eui-low')) }),
        ...(silent && { silentAfter: random.integer(1, 5) }),
        entityType: kind.entityType,
        entityId: `urn:ngsi-ld:${kind.entityType}:${tenant}:${id}`,
      });
    }
  }
  return { tenant, devices, gateways };
}
