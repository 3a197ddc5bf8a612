import { countsOf, DEFAULT_CENTRE, distanceMetres, planDistrict } from './district-plan';
import { DEVICE_KINDS } from './kinds';
import { Random, seedOf } from './random';

describe('the district plan', () => {
  it('splits a total by the kinds’ shares, adding up exactly', () => {
    expect(countsOf(300)).toEqual({ airQuality: 30, parkingSpot: 120, streetlight: 75, wasteContainer: 45, trafficCounter: 30 });
    for (const total of [1, 7, 13, 299, 1001]) {
      expect(Object.values(countsOf(total)).reduce((a, b) => a + b, 0)).toBe(total);
    }
  });

  it('is the same for the same options, and names devices and entities as the platform does', () => {
    const plan = planDistrict({ tenant: 'demo', devices: 50, seed: 7 });
    expect(planDistrict({ tenant: 'demo', devices: 50, seed: 7 })).toEqual(plan);
    expect(plan.devices).toHaveLength(50);
    expect(new Set(plan.devices.map((d) => d.id)).size).toBe(50);
    const spot = plan.devices.find((d) => d.kind === 'parkingSpot');
    expect(spot).toMatchObject({ id: 'parking-001', entityType: 'ParkingSpot', entityId: 'urn:ngsi-ld:ParkingSpot:demo:parking-001' });
    expect(spot?.devEui).toMatch(/^[0-9a-f]{16}$/);
    expect(plan.devices.filter((d) => d.devEui).length).toBe(countsOf(50).parkingSpot);
    expect(plan.devices.filter((d) => DEVICE_KINDS[d.kind].transport !== 'lorawan').every((d) => d.devEui === undefined)).toBe(true);
  });

  it('keeps DevEUIs and ids when only the seed changes, so a re-run finds its devices', () => {
    const a = planDistrict({ tenant: 'demo', devices: 20, seed: 1 });
    const b = planDistrict({ tenant: 'demo', devices: 20, seed: 2 });
    expect(b.devices.map((d) => [d.id, d.devEui])).toEqual(a.devices.map((d) => [d.id, d.devEui]));
    expect(b.devices.map((d) => d.location)).not.toEqual(a.devices.map((d) => d.location));
    expect(planDistrict({ tenant: 'demo', devices: { streetlight: 2 }, idPrefix: 'e2e-' }).devices.map((d) => d.id)).toEqual(['e2e-light-001', 'e2e-light-002']);
  });

  it('places devices within the radius and gateways across the district', () => {
    const plan = planDistrict({ tenant: 'demo', devices: 400, radiusMetres: 900 });
    for (const device of plan.devices) expect(distanceMetres(DEFAULT_CENTRE, device.location)).toBeLessThanOrEqual(915);
    expect(plan.gateways).toHaveLength(3);
    const apart = distanceMetres(plan.gateways[0] ?? DEFAULT_CENTRE, plan.gateways[1] ?? DEFAULT_CENTRE);
    expect(apart).toBeGreaterThan(600);
  });

  it('lets about the silent share fall silent, and none when it is 0', () => {
    const silent = planDistrict({ tenant: 'demo', devices: 2000, silentShare: 0.05 }).devices.filter((d) => d.silentAfter !== undefined);
    expect(silent.length).toBeGreaterThan(60);
    expect(silent.length).toBeLessThan(140);
    expect(silent.every((d) => (d.silentAfter ?? 0) >= 1 && (d.silentAfter ?? 0) <= 5)).toBe(true);
    expect(planDistrict({ tenant: 'demo', devices: 500, silentShare: 0 }).devices.some((d) => d.silentAfter !== undefined)).toBe(false);
  });
});

describe('Random', () => {
  it('repeats itself for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, (() => { const r = new Random(seed); return () => r.next(); })());
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
    expect(seedOf('demo', 'aq-001')).toBe(seedOf('demo', 'aq-001'));
    expect(seedOf('demo', 'aq-001')).not.toBe(seedOf('demo', 'aq-002'));
  });

  it('draws Poisson counts around their mean', () => {
    const random = new Random(11);
    for (const mean of [0.5, 4, 120]) {
      const draws = Array.from({ length: 4000 }, () => random.poisson(mean));
      const average = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(Math.abs(average - mean)).toBeLessThan(Math.max(0.1, mean * 0.05));
      expect(draws.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    }
  });
});
