// How the NGSI-LD benches start the data service: BENCH_<NAME>=value sets the service's <NAME>
// (e.g. BENCH_NGSILD_WRITE_MAX_BATCH=1000, BENCH_OTEL_SDK_DISABLED=true), and BENCH_CPU_PROF=<dir>
// runs it under `node --cpu-prof` (which NODE_OPTIONS does not allow), its profile written there
// when it stops.

export function benchServiceEnv(): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('BENCH_') && name !== 'BENCH_CPU_PROF' && value !== undefined) passed[name.slice('BENCH_'.length)] = value;
  }
  return passed;
}

export function cpuProfileArgs(): string[] {
  const dir = process.env['BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** The clock of V8's CPU profiles (CLOCK_MONOTONIC, µs): a phase's window in the service's profile. */
export const monotonicMicros = (): bigint => process.hrtime.bigint() / 1000n;
