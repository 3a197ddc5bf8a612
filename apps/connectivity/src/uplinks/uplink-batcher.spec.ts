import { createEvent } from '@urbis/contracts';
import type { OutgoingEvent } from '@urbis/messaging';
import { UplinkBatcher } from './uplink-batcher';

const uplink = (n: number): OutgoingEvent => {
  const event = createEvent('connectivity.uplink.received.v1', {
    tenant: 'alpha',
    source: 'connectivity',
    payload: { deviceId: `d${n}`, transport: 'mqtt', receivedAt: new Date().toISOString(), payload: 'AA==' },
  });
  return { topic: 'connectivity.uplink.received.v1', key: `alpha/d${n}`, event };
};

function controllableSink() {
  const calls: { events: readonly OutgoingEvent[]; settle: (error?: Error) => void }[] = [];
  return {
    calls,
    publishAll: (events: readonly OutgoingEvent[]) =>
      new Promise<void>((resolve, reject) =>
        calls.push({ events, settle: (error) => (error ? reject(error) : resolve()) }),
      ),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('UplinkBatcher', () => {
  it('sends what arrives within the linger time as one batch and settles each caller on the ack', async () => {
    const sink = controllableSink();
    const batcher = new UplinkBatcher(sink, { lingerMs: 5, maxBatch: 100 });
    const settled: number[] = [];
    const sends = [0, 1, 2].map((n) => batcher.send(uplink(n)).then(() => settled.push(n)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0]?.events).toHaveLength(3);
    expect(settled).toEqual([]);
    sink.calls[0]?.settle();
    await Promise.all(sends);
    expect(settled).toEqual([0, 1, 2]);
    expect(batcher.pending).toBe(0);
  });

  it('keeps one batch on the wire and queues the rest behind it, up to maxBatch per request', async () => {
    const sink = controllableSink();
    const batcher = new UplinkBatcher(sink, { lingerMs: 0, maxBatch: 2 });
    const sends = [0, 1, 2, 3, 4].map((n) => batcher.send(uplink(n)));
    await tick();
    expect(sink.calls.map((call) => call.events.length)).toEqual([1]);
    sink.calls[0]?.settle();
    await tick();
    expect(sink.calls.map((call) => call.events.length)).toEqual([1, 2]);
    sink.calls[1]?.settle();
    await tick();
    sink.calls[2]?.settle();
    await Promise.all(sends);
    expect(sink.calls.map((call) => call.events.length)).toEqual([1, 2, 2]);
  });

  it('fails every caller of a failed batch, and drain waits for all of them', async () => {
    const sink = controllableSink();
    const batcher = new UplinkBatcher(sink, { lingerMs: 1, maxBatch: 10 });
    const results = [0, 1].map((n) => batcher.send(uplink(n)).then(() => 'acked', (error: Error) => error.message));
    let drained = false;
    const draining = batcher.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(drained).toBe(false);
    sink.calls[0]?.settle(new Error('broker down'));
    expect(await Promise.all(results)).toEqual(['broker down', 'broker down']);
    await draining;
    expect(drained).toBe(true);
  });
});
