/** How a device login went: `refused` is a bad credential, `unreachable` a network problem. */
export type LoginOutcome = 'accepted' | 'refused' | 'unreachable';

export interface LoginGateOptions {
  /** Refused logins allowed per window, in flight ones included. Default 5. */
  budget?: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * Keeps the district's refused device logins under the platform's brute-force threshold.
 * Every simulated device connects from the same address, and the security service blocks an
 * address after 10 refused logins in 60 s (`device-auth-failures`): a district that logs in
 * before connectivity has learnt its credentials would lock itself out for 15 minutes. So at
 * most `budget` logins may be refused or undecided at any time in a window.
 */
export class LoginGate {
  private readonly budget: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private refusals: number[] = [];
  private inFlight = 0;
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
    for (;;) {
      if (this.closed) throw new Error('the district is stopping');
      const now = this.now();
      this.refusals = this.refusals.filter((at) => now - at < this.windowMs);
      if (this.refusals.length + this.inFlight < this.budget) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.inFlight++;
    let settled = false;
    return (outcome) => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (outcome === 'refused') this.refusals.push(this.now());
    };
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
