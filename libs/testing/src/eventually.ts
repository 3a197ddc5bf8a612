/** How long to keep trying, and how often. Generous defaults: the machines running tests are shared. */
export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** Names the condition in the error, e.g. `command ${id} to be delivered`. */
  what?: string;
}

/** Resolves once `check` is true; fails after the timeout. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  { timeoutMs = 20_000, everyMs = 50, what = 'condition' }: WaitOptions = {},
): Promise<void> {
  await until(check, (ok) => ok, { timeoutMs, everyMs, what });
}

/**
 * Reads a value until `done` accepts it and returns that value; on timeout the error shows the
 * last value read, so a failing test says what it saw instead.
 */
export async function until<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  { timeoutMs = 20_000, everyMs = 50, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      const seen = typeof value === 'boolean' ? '' : `; last seen: ${JSON.stringify(value)?.slice(0, 500)}`;
      throw new Error(`${what} not met within ${timeoutMs} ms${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
