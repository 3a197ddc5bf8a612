import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles from the base delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, options))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('randomises only the jitter fraction of the delay', () => {
    expect(backoffDelay(3, { ...options, jitter: 0.5 }, () => 0)).toBe(200);
    expect(backoffDelay(3, { ...options, jitter: 0.5 }, () => 1)).toBe(400);
    expect(backoffDelay(3, { ...options, jitter: 0.5 }, () => 0.5)).toBe(300);
  });

  it('rejects retry numbers below 1', () => {
    expect(() => backoffDelay(0, options)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, options)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('resolves true after the delay and false at once when aborted', async () => {
    await expect(sleep(1)).resolves.toBe(true);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).resolves.toBe(false);
    await expect(sleep(60_000, controller.signal)).resolves.toBe(false);
  });
});
