import { auditEvent } from '@urbis/audit';
import { signalOf } from './detection-rules';
import { MessageRates } from './message-rates';
import { SignalWindows } from './signal-windows';

const signal = (at: number, count = 1) => ({
  rule: 'device-auth-failures' as const,
  subject: { kind: 'address' as const, id: '10.0.0.1' },
  count,
  at,
  sample: { eventId: 'e', source: 'connectivity', action: 'connectivity.mqtt.bad-token', actor: 'device:alpha/d1', at: new Date(at).toISOString() },
});

describe('signal windows', () => {
  it('fires once the window holds the threshold, counting aggregated records, and starts afresh', () => {
    const windows = new SignalWindows();
    const threshold = { count: 10, windowSeconds: 60 };
    expect(windows.add('k', signal(0, 4), threshold)).toBeUndefined();
    expect(windows.add('k', signal(30_000, 5), threshold)).toBeUndefined();
    expect(windows.add('k', signal(59_000, 1), threshold)).toMatchObject({ occurrences: 10, firstAt: 0, lastAt: 59_000 });
    expect(windows.add('k', signal(60_000, 9), threshold)).toBeUndefined();
  });

  it('forgets occurrences older than the window', () => {
    const windows = new SignalWindows();
    const threshold = { count: 3, windowSeconds: 10 };
    windows.add('k', signal(0, 2), threshold);
    expect(windows.add('k', signal(11_000), threshold)).toBeUndefined();
    expect(windows.add('k', signal(12_000), threshold)).toBeUndefined();
    expect(windows.add('k', signal(13_000), threshold)).toMatchObject({ occurrences: 3 });
  });
});

describe('message rates', () => {
  it('flags a device far above its own baseline once per bucket, after a warm-up', () => {
    const rates = new MessageRates({ factor: 5, minMessages: 20, bucketSeconds: 1 });
    const spikes = [];
    for (let second = 0; second < 4; second++) for (let i = 0; i < 3; i++) spikes.push(rates.add('d', second * 1000 + i));
    for (let i = 0; i < 30; i++) spikes.push(rates.add('d', 4000 + i));
    const flagged = spikes.filter((s) => s !== undefined);
    expect(flagged).toEqual([{ device: 'd', count: 20, baseline: 3, bucketStart: 4000 }]);
  });

  it('does not flag a device whose normal is high', () => {
    const rates = new MessageRates({ factor: 5, minMessages: 20, bucketSeconds: 1 });
    const spikes = [];
    for (let second = 0; second < 6; second++) for (let i = 0; i < 40; i++) spikes.push(rates.add('busy', second * 1000 + i));
    expect(spikes.filter((s) => s !== undefined)).toEqual([]);
  });
});

describe('signals from audit records', () => {
  it('classifies each rule’s records and finds its subject', () => {
    const of = (action: string, details = {}, actor = { kind: 'device' as const, id: 'alpha/d1' }) =>
      signalOf(auditEvent('connectivity', { tenant: 'alpha', actor, action, resource: { type: 'device' }, outcome: 'denied', details }));
    expect(of('connectivity.mqtt.bad-token', { address: '::ffff:127.0.0.1' })).toMatchObject({ rule: 'device-auth-failures', subject: { kind: 'address', id: '::ffff:127.0.0.1' } });
    expect(of('connectivity.http.unknown-device')).toMatchObject({ rule: 'device-auth-failures', subject: { kind: 'device', id: 'd1' } });
    expect(of('connectivity.mqtt.payload-size')).toMatchObject({ rule: 'rejected-payloads', subject: { kind: 'device', id: 'd1' } });
    expect(of('auth.tenant-mismatch', { clientId: 'app' })).toMatchObject({ rule: 'cross-tenant-tokens', subject: { kind: 'client', id: 'app' } });
    expect(of('connectivity.lorawan.webhook-unauthenticated', { address: '10.0.0.2' })).toMatchObject({ rule: 'webhook-signature-failures' });
    expect(of('connectivity.mqtt.bad-token', { address: 'not-an-ip' })).toMatchObject({ subject: { kind: 'device' } });
    expect(of('devices.device.create')).toBeUndefined();
  });
});
