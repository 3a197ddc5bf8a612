// CPU time spent by the data service process and by its database's PostgreSQL backends over a
// phase of a benchmark. On a machine whose cores other engineers share, wall-clock rates move
// with their load; the CPU each operation costs does not (much), so the benches report both.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Client } from 'pg';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine in ms (every process, everyone's), from /proc/stat. */
function machineBusyMs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

export interface CpuReading {
  seconds: number;
  serviceMs: number;
  postgresMs: number;
  /** Everyone's CPU on the machine over the phase, in cores (2 = both cores busy). */
  machineCores: number;
  /** The 1-minute load average at the end of the phase. */
  load: number;
  /** Transactions committed in the database over the phase (the store's batches, the relay's, ...). */
  transactions: number;
}

/**
 * Measures one phase: `start()` before it, `stop()` after it. PostgreSQL CPU is the sum over
 * the backends connected to `db`'s database (the service's pool; the meter's own backend and
 * the bench's are left out by pid), so other databases' work is not counted.
 */
export class CpuMeter {
  private started = 0;
  private service = 0;
  private machine = 0;
  private backends = new Map<number, number>();
  private commits = 0;

  constructor(
    private readonly servicePid: number,
    private readonly db: Client,
    private readonly excludedPids: () => Promise<number[]> = async () => [],
  ) {}

  async start(): Promise<void> {
    this.backends = await this.backendCpu();
    this.commits = await this.committed();
    this.service = processCpuMs(this.servicePid) ?? 0;
    this.machine = machineBusyMs();
    this.started = Date.now();
  }

  async stop(): Promise<CpuReading> {
    const seconds = (Date.now() - this.started) / 1000;
    const service = (processCpuMs(this.servicePid) ?? 0) - this.service;
    const machine = machineBusyMs() - this.machine;
    const now = await this.backendCpu();
    let postgres = 0;
    for (const [pid, ms] of now) postgres += ms - (this.backends.get(pid) ?? 0);
    const transactions = (await this.committed()) - this.commits;
    return { seconds, serviceMs: service, postgresMs: postgres, machineCores: machine / 1000 / seconds, load: loadavg()[0] ?? 0, transactions };
  }

  /** pg_stat_database's count; the statistics are sent at each transaction's end, so wait them out. */
  private async committed(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 600));
    await this.db.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.db.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0]?.n ?? 0);
  }

  private async backendCpu(): Promise<Map<number, number>> {
    const excluded = new Set(await this.excludedPids());
    const { rows } = await this.db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      if (excluded.has(pid)) continue;
      const ms = processCpuMs(pid);
      if (ms !== undefined) cpu.set(pid, ms);
    }
    return cpu;
  }
}

/** "0.41 ms service + 0.22 ms PostgreSQL CPU per <unit>", for a results table. */
export function perOperation(reading: CpuReading, operations: number, unit: string): string {
  const each = (ms: number) => (ms / operations).toFixed(ms / operations < 1 ? 3 : 2);
  return `${each(reading.serviceMs)} ms service + ${each(reading.postgresMs)} ms PostgreSQL CPU per ${unit}`;
}

export function machineLoad(reading: CpuReading): string {
  return `machine ${reading.machineCores.toFixed(1)} of 2 cores busy, load ${reading.load.toFixed(1)}; ${(reading.transactions / reading.seconds).toFixed(0)} transactions/s`;
}
