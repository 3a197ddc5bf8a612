import { FrameMerger } from './frame-merger';

describe('FrameMerger', () => {
  it('emits once per window with every gateway, and answers every caller with that result', async () => {
    const merger = new FrameMerger<string>(20);
    const emitted: string[][] = [];
    const emit = async (gateways: { gatewayId: string }[]) => {
      emitted.push(gateways.map((gateway) => gateway.gatewayId).sort());
      return `event-${emitted.length}`;
    };
    const results = await Promise.all([
      merger.merge('alpha/eui/1', [{ gatewayId: 'gw-a', rssi: -100 }], emit),
      merger.merge('alpha/eui/1', [{ gatewayId: 'gw-b', rssi: -90 }], emit),
      merger.merge('alpha/eui/1', [{ gatewayId: 'gw-a', rssi: -80 }], emit),
      merger.merge('alpha/eui/2', [{ gatewayId: 'gw-a' }], emit),
    ]);
    expect(emitted).toEqual([['gw-a', 'gw-b'], ['gw-a']]);
    expect(results).toEqual(['event-1', 'event-1', 'event-1', 'event-2']);
    expect(merger.open).toBe(0);
  });

  it('keeps the stronger reception of a gateway heard twice, and passes a failure to every caller', async () => {
    const merger = new FrameMerger<void>(10);
    let seen: { gatewayId: string; rssi?: number }[] = [];
    const failing = async (gateways: { gatewayId: string; rssi?: number }[]) => {
      seen = gateways;
      throw new Error('kafka down');
    };
    const outcomes = await Promise.allSettled([
      merger.merge('k', [{ gatewayId: 'gw-a', rssi: -110 }], failing),
      merger.merge('k', [{ gatewayId: 'gw-a', rssi: -95 }], failing),
    ]);
    expect(seen).toEqual([{ gatewayId: 'gw-a', rssi: -95 }]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(merger.open).toBe(0);
  });
});
