import { createEvent } from '@urbis/contracts';
import { decodeEvent } from './decode';

const TOPIC = 'connectivity.device-status.changed.v1';
const event = createEvent(TOPIC, {
  tenant: 'demo',
  source: 'connectivity',
  payload: {
    deviceId: 'aq-17',
    status: 'online',
    reason: 'connected',
    changedAt: '2026-01-01T00:00:00.000Z',
  },
});

describe('decodeEvent', () => {
  it('returns the typed event for a valid message', () => {
    expect(decodeEvent(TOPIC, Buffer.from(JSON.stringify(event)))).toEqual({ ok: true, event });
  });

  it('explains an empty value, bad JSON, a schema violation and an event of another topic', () => {
    expect(decodeEvent(TOPIC, null)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^empty message value/),
    });
    expect(decodeEvent(TOPIC, Buffer.from('{"id":'))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^value is not valid JSON: /),
    });
    const bad = decodeEvent(
      TOPIC,
      JSON.stringify({ ...event, payload: { ...event.payload, status: 'flying', deviceId: undefined } }),
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^not a valid connectivity\.device-status\.changed\.v1 event: /);
    expect(!bad.ok && bad.reason).toContain('payload.deviceId: ');
    expect(!bad.ok && bad.reason).toContain('payload.status: ');
    const other = decodeEvent(TOPIC, JSON.stringify({ ...event, type: 'devices.lifecycle.changed.v1' }));
    expect(!other.ok && other.reason).toContain('type: ');
  });
});
