import { planDistrict } from '../district-plan';
import { Random } from '../random';
import { LoginGate } from './login-gate';
import { chirpstackJoin, chirpstackUp, receptionsOf } from './lorawan';

describe('the login gate', () => {
  it('lets at most its budget of undecided or refused logins through in a window', async () => {
    let now = 0;
    const gate = new LoginGate({ budget: 3, windowMs: 60_000, now: () => now });
    const first = await Promise.all([gate.enter(), gate.enter(), gate.enter()]);
    let fourth = false;
    const waiting = gate.enter().then((release) => ((fourth = true), release));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(fourth).toBe(false);
    first[0]?.('accepted'); // an accepted login frees its slot at once
    const release = await waiting;
    expect(fourth).toBe(true);
    first[1]?.('refused');
    first[2]?.('refused');
    release('refused');
    expect(gate.recentRefusals()).toBe(3);
    let fifth = false;
    void gate.enter().then(() => (fifth = true));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(fifth).toBe(false); // three refusals hold the window
    now = 60_001;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(fifth).toBe(true);
  });

  it('lets nobody in once closed (the district stops), waiting or not', async () => {
    const gate = new LoginGate({ budget: 1 });
    await gate.enter();
    const waiting = gate.enter();
    gate.close();
    await expect(waiting).rejects.toThrow('stopping');
    await expect(gate.enter()).rejects.toThrow('stopping');
  });
});

describe('LoRaWAN', () => {
  const plan = planDistrict({ tenant: 'demo', devices: { parkingSpot: 400 } });

  it('is heard by the nearest gateway always, by a second one now and then', () => {
    const random = new Random(3);
    const heard = plan.devices.map((device) => receptionsOf(device.location, plan.gateways, random));
    expect(heard.every((r) => r.length >= 1 && (r[0]?.rssi ?? 0) >= -121)).toBe(true);
    const two = heard.filter((r) => r.length >= 2).length / heard.length;
    expect(two).toBeGreaterThan(0.05);
    expect(two).toBeLessThan(0.4);
    for (const r of heard) expect(r.map((x) => x.rssi)).toEqual([...r.map((x) => x.rssi)].sort((a, b) => b - a));
  });

  it('posts ChirpStack v4 up and join events', () => {
    const at = new Date('2026-12-01T08:00:00Z');
    const up = chirpstackUp({
      devEui: '0011223344556677',
      deviceName: 'parking-001',
      fCnt: 7,
      fPort: 3,
      payload: Buffer.from([1, 1, 94]),
      receptions: [
        { gatewayId: '0016c001aaaaaaaa', rssi: -101, snr: 7.5 },
        { gatewayId: '0016c001bbbbbbbb', rssi: -117, snr: -1 },
      ],
      at,
    });
    expect(up).toMatchObject({
      time: at.toISOString(),
      deviceInfo: { devEui: '0011223344556677', deviceName: 'parking-001' },
      fCnt: 7,
      fPort: 3,
      data: Buffer.from([1, 1, 94]).toString('base64'),
      rxInfo: [
        { gatewayId: '0016c001aaaaaaaa', rssi: -101, snr: 7.5, crcStatus: 'CRC_OK' },
        { gatewayId: '0016c001bbbbbbbb', rssi: -117, snr: -1 },
      ],
    });
    expect(chirpstackJoin('0011223344556677', 'parking-001', at)).toMatchObject({ deviceInfo: { devEui: '0011223344556677' }, devAddr: '44556677' });
  });
});
