// CPU and memory of the processes of a benchmark run, by role: a service, the dev broker, the
// PostgreSQL server (postmaster, its backends and the backends that already exited), the load
// generator. Read from /proc, so other engineers' processes on the shared machine are left out;
// the machine's own busy share says how much they took.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** utime + stime (+ the reaped children's, for a postmaster whose backends come and go), seconds. */
function cpuSeconds(pid: number, withReapedChildren: boolean): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  const own = Number(fields[11]) + Number(fields[12]);
  const reaped = withReapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
  return (own + reaped) / TICKS_PER_SECOND;
}

function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory (VmRSS), MB. */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Proportional set size, MB: shared memory (PostgreSQL's buffers) counted once across processes. */
function pssMb(pid: number): number {
  try {
    return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine (every process, everyone's). */
export function machineCpu(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** One role of the run: processes by pid, or a process tree (PostgreSQL: the postmaster and its backends). */
export interface MeteredRole {
  name: string;
  pids: () => number[];
  /** A server whose children are counted with it, live and reaped (`pids` gives its root). */
  tree?: boolean;
}

export interface RoleReading {
  name: string;
  /** Cores used over the phase (1 = one core busy the whole time). */
  cores: number;
  /** CPU seconds over the phase. */
  cpuSeconds: number;
  /** Largest memory seen while sampling: RSS, or for a process tree the sum of PSS. */
  peakMb: number;
}

export interface PhaseReading {
  seconds: number;
  roles: RoleReading[];
  /** Share of both cores busy over the phase, other engineers' work included. */
  machineBusy: number;
}

/** Measures the roles over a phase: `start()`, then `stop()`; memory is sampled every `sampleMs`. */
export class ProcessMeter {
  private startedAt = 0;
  private cpuAtStart = new Map<string, Map<number, number>>();
  private machineAtStart = { busy: 0, total: 0 };
  private peak = new Map<string, number>();
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    private readonly roles: readonly MeteredRole[],
    private readonly sampleMs = 1000,
  ) {}

  /** Pid → CPU seconds of a role now; a tree's live children are listed with their own time. */
  private cpuOf(role: MeteredRole): Map<number, number> {
    const readings = new Map<number, number>();
    for (const pid of role.pids()) {
      readings.set(pid, cpuSeconds(pid, role.tree ?? false));
      if (role.tree) for (const child of children(pid)) readings.set(child, cpuSeconds(child, false));
    }
    return readings;
  }

  private memoryOf(role: MeteredRole): number {
    if (!role.tree) return role.pids().reduce((sum, pid) => sum + rssMb(pid), 0);
    return role.pids().reduce((sum, pid) => sum + pssMb(pid) + children(pid).reduce((inner, child) => inner + pssMb(child), 0), 0);
  }

  private sample(): void {
    for (const role of this.roles) this.peak.set(role.name, Math.max(this.peak.get(role.name) ?? 0, this.memoryOf(role)));
  }

  start(): void {
    this.startedAt = performance.now();
    this.machineAtStart = machineCpu();
    this.cpuAtStart = new Map(this.roles.map((role) => [role.name, this.cpuOf(role)]));
    this.peak.clear();
    this.sample();
    this.sampler = setInterval(() => this.sample(), this.sampleMs);
  }

  stop(): PhaseReading {
    clearInterval(this.sampler);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const machine = machineCpu();
    const roles = this.roles.map((role) => {
      const before = this.cpuAtStart.get(role.name) ?? new Map<number, number>();
      const after = this.cpuOf(role);
      // A backend that exited during the phase is in the postmaster's reaped time; one that started counts from 0.
      let used = 0;
      for (const [pid, now] of after) used += now - (before.get(pid) ?? 0);
      return { name: role.name, cpuSeconds: used, cores: used / seconds, peakMb: this.peak.get(role.name) ?? 0 };
    });
    return {
      seconds,
      roles,
      machineBusy: (machine.busy - this.machineAtStart.busy) / Math.max(1, machine.total - this.machineAtStart.total),
    };
  }
}
