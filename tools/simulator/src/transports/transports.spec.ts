import { planDistrict } from '../district-plan';
import { Random } from '../random';
import { LoginGate } from './login-gate';
import { chirpstackJoin, chirpstackUp, receptionsOf } from './lorawan';

describe('the login gate', () => {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

  it('probes with one login until one is accepted, then lets its budget through at once', async () => {
    const gate = new LoginGate({ budget: 3, windowMs: 60_000 });
    const probe = await gate.enter();
    let second = false;
    const waiting = gate.enter().then((release) => ((second = true), release));
    await settle();
    expect(second).toBe(false); // nothing else while the first login is undecided
    probe('accepted');
    const release = await waiting;
    const third = await gate.enter();
    const filler = await gate.enter();
    expect(second).toBe(true); // accepted once: three at a time
    let fifth = false;
    void gate.enter().then((done) => ((fifth = true), done('accepted')));
    await settle();
    expect(fifth).toBe(false);
    release('accepted');
    await settle();
    expect(fifth).toBe(true);
    third('accepted');
    filler('accepted');
  });

  it('cools down after each refusal and holds at most its budget of refusals in a window', async () => {
    let now = 0;
    const gate = new LoginGate({ budget: 3, windowMs: 60_000, now: () => now });
    (await gate.enter())('refused');
    let next = false;
    void gate.enter().then((release) => ((next = true), release('refused')));
    await settle();
    expect(next).toBe(false); // 60 s / 3 = 20 s between refused logins
    now = 20_000;
    await settle();
    expect(next).toBe(true);
    now = 40_000;
    (await gate.enter())('refused');
    expect(gate.recentRefusals()).toBe(3);
    let fourth = false;
    void gate.enter().then(() => (fourth = true));
    now = 59_000;
    await settle();
    expect(fourth).toBe(false); // three refusals fill the window
    now = 60_001;
    await settle();
    expect(fourth).toBe(true); // the first has left it
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
