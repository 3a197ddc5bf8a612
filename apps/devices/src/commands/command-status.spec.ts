import { canAdvance, isFinal, statusOfOutcome } from './command-status';

describe('command status', () => {
  it('moves forward: queued → sent → delivered → succeeded | failed | expired', () => {
    expect(canAdvance('queued', 'sent')).toBe(true);
    expect(canAdvance('sent', 'delivered')).toBe(true);
    expect(canAdvance('queued', 'delivered')).toBe(true);
    expect(canAdvance('delivered', 'succeeded')).toBe(true);
    expect(canAdvance('sent', 'expired')).toBe(true);
    expect(canAdvance('queued', 'failed')).toBe(true);
  });

  it('never moves back, and final statuses stay', () => {
    expect(canAdvance('delivered', 'sent')).toBe(false);
    expect(canAdvance('succeeded', 'failed')).toBe(false);
    expect(canAdvance('expired', 'delivered')).toBe(false);
    expect(isFinal('failed')).toBe(true);
    expect(isFinal('delivered')).toBe(false);
  });

  it('a rejection by connectivity is a failure', () => {
    expect(statusOfOutcome('rejected')).toBe('failed');
    expect(statusOfOutcome('delivered')).toBe('delivered');
  });
});
