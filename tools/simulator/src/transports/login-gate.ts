/** How a device login went: `refused` is a bad credential, `unreachable` a network problem. */
export type LoginOutcome = 'accepted' | 'refused' | 'unreachable';

export interface LoginGateOptions {
  /** Refused logins allowed per window, in-flight ones included. Default 5. */
  budget?: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * Keeps the district's refused device logins under the platform's brute-force threshold.
 * Every simulated device connects from the same address, and the security service blocks an
 * address after 10 refused logins in 60 s (`device-auth-failures`): a district that logs in
 * before connectivity has learnt its tokens would lock itself out for 15 minutes.
 *
 * So: one login at a time until one is accepted (the first tells whether connectivity has the
 * tokens yet), then up to `budget` at once; after a refusal, none for `windowMs / budget`; and
 * never more than `budget` refused or undecided in a window.
 */
export class LoginGate {
  private readonly budget: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private refusals: number[] = [];
  private inFlight = 0;
  private accepted = false;
  private closed = false;

  constructor(options: LoginGateOptions = {}) {
    this.budget = options.budget ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Waits for a login slot; call the returned function with the outcome. Rejects once the gate
   * is closed (the district stops).
   */
  async enter(): Promise<(outcome: LoginOutcome) => void> {
    while (!this.open()) await new Promise((resolve) => setTimeout(resolve, 100));
    this.inFlight++;
    let settled = false;
    return (outcome) => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (outcome === 'accepted') this.accepted = true;
      if (outcome === 'refused') this.refusals.push(this.now());
    };
  }

  private open(): boolean {
    if (this.closed) throw new Error('the district is stopping');
    const now = this.now();
    this.refusals = this.refusals.filter((at) => now - at < this.windowMs);
    const last = this.refusals[this.refusals.length - 1];
    const coolingDown = last !== undefined && now - last < this.windowMs / this.budget;
    const concurrent = this.accepted ? this.budget : 1;
    return !coolingDown && this.inFlight < concurrent && this.refusals.length + this.inFlight < this.budget;
  }

  /** Refused logins within the window (for the district's stats). */
  recentRefusals(): number {
    const now = this.now();
    return this.refusals.filter((at) => now - at < this.windowMs).length;
  }

  close(): void {
    this.closed = true;
  }
}
