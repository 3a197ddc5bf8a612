/** One thing the service needs before it may take traffic: database, broker, a consumer... */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean | { ok: boolean; detail?: string }>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

/** A check that has not answered by then counts as failed (a hung broker must not hang /health/ready). */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

export async function runCheck(
  check: ReadinessCheck,
  timeoutMs = READINESS_CHECK_TIMEOUT_MS,
): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ name: check.name, ok: false, detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    const answer = check.check().then(
      (result): CheckResult =>
        typeof result === 'boolean'
          ? { name: check.name, ok: result }
          : { name: check.name, ok: result.ok, detail: result.detail },
      (error: unknown): CheckResult => ({
        name: check.name,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      }),
    );
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
