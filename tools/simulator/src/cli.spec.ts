import { parseCli } from './cli';

describe('the simulator command line', () => {
  it('defaults to the local stack of npm start', () => {
    const settings = parseCli([], {});
    if (settings === 'help') throw new Error('unexpected help');
    expect(settings.district).toMatchObject({
      tenant: 'demo',
      devices: 300,
      endpoints: { devices: 'http://127.0.0.1:8082', connectivity: 'http://127.0.0.1:8081', mqtt: 'mqtt://127.0.0.1:1884' },
      seed: 1,
      silentShare: 0.03,
      faultRate: 0.01,
    });
    expect(settings.district.lorawanWebhookSecret).toBeUndefined();
    expect(settings.statsEverySeconds).toBe(30);
  });

  it('takes counts per kind, the webhook secret from the environment, and help', () => {
    const settings = parseCli(['--parking', '10', '--streetlights', '3', '--tenant', 'north'], { URBIS_LORAWAN_WEBHOOK_SECRET: 'a-long-enough-secret' });
    if (settings === 'help') throw new Error('unexpected help');
    expect(settings.district).toMatchObject({ tenant: 'north', devices: { parkingSpot: 10, streetlight: 3 }, lorawanWebhookSecret: 'a-long-enough-secret' });
    expect(parseCli(['--help'])).toBe('help');
  });

  it('names the flag that is wrong', () => {
    expect(() => parseCli(['--devices', 'many'])).toThrow('--devices: expected a number from 1 to 50000, got many');
    expect(() => parseCli(['--silent', '2'])).toThrow('--silent');
    expect(() => parseCli(['--devices', '5', '--parking', '2'])).toThrow('not both');
    expect(() => parseCli(['--colour', 'red'])).toThrow(/colour/);
  });
});
