// The processes of `npm run bench:city`: CityGrid's own (edges, the replica) spawned with only the
// tail of their output kept (they run for minutes), and CPU and RSS of any process read from /proc
// (the engines are Debian binaries, so asking them is not an option). Everything is stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TAIL_CHARS = 16_000;

export interface NodeProc {
  name: string;
  pid: number;
  tail(): string;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Waits for `proc` to exit, sending `signal` first and SIGKILL after `graceMs`. */
export function stopProcess(proc: ChildProcess, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => { clearTimeout(force); resolve(); });
    proc.kill(signal);
  });
}

/** `node [execArgv] --import tsx <entry>` with `env`; resolves once its output contains `ready`. */
export async function startNode(root: string, name: string, entry: string, env: Record<string, string>, ready: string, timeoutMs = 120_000, execArgv: string[] = [], onLine?: (line: string) => void): Promise<NodeProc> {
  const child = spawn(process.execPath, [...execArgv, '--import', 'tsx', join(root, entry)], {
    cwd: root, env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let seen = false;
  let partial = '';
  const keep = (d: Buffer) => {
    const text = d.toString();
    out = (out + text).slice(-TAIL_CHARS);
    if (!seen && out.includes(ready)) seen = true;
    if (!onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(-TAIL_CHARS);
    for (const line of lines) onLine(line);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const proc: NodeProc = {
    name,
    pid: child.pid!,
    tail: () => out,
    running: () => child.exitCode === null && child.signalCode === null,
    stop: (graceMs = 10_000) => stopProcess(child, graceMs),
  };
  const deadline = Date.now() + timeoutMs;
  while (!seen) {
    if (!proc.running()) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before "${ready}":\n${out.slice(-2000)}`);
    if (Date.now() > deadline) {
      await proc.stop(2000);
      throw new Error(`${name} did not log "${ready}" within ${timeoutMs} ms:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}

const CLK_TCK = 100; // Linux's USER_HZ: /proc times are in 1/100 s
const PAGE = 4096;

/** CPU seconds used so far (user + system) and resident memory in bytes, or null once the process is gone. */
export function readUsage(pid: number): { cpuS: number; rss: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start at state: utime is the 12th, rss the 22nd
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, rss: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

/** The whole machine's CPU time so far, in seconds (/proc/stat's first line): in processes (user, nice, system), in interrupts (irq, softirq: loopback TCP is mostly here), and stolen by the hypervisor. */
export function machineCpu(): { procS: number; irqS: number; stealS: number } {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { procS: (user + nice + system) / CLK_TCK, irqS: (irq + softirq) / CLK_TCK, stealS: steal / CLK_TCK };
}

/** The machine's CPU over a window, in % of one core (200 = both cores of two). */
export interface MachineUsage { processes_pct: number; interrupts_pct: number; steal_pct: number; busy_pct: number }

export interface UsageRow { name: string; pid: number; cpu_pct: number; rss_mb: number; rss_max_mb: number }

/** Samples the CPU and RSS of named processes: CPU over a window (begin → end), RSS at the end and at most. */
export class UsageMeter {
  private readonly procs = new Map<string, { pid: number; cpu0: number; cpu1: number; rss: number; rssMax: number }>();
  private t0 = 0;
  private t1 = 0;
  private machine0 = machineCpu();
  private timer: NodeJS.Timeout | null = null;

  add(name: string, pid: number | undefined): void {
    if (pid) this.procs.set(name, { pid, cpu0: 0, cpu1: 0, rss: 0, rssMax: 0 });
  }

  /** Starts the window and samples every `everyMs` until end(). */
  begin(everyMs = 2000): void {
    this.t0 = performance.now();
    this.machine0 = machineCpu();
    for (const p of this.procs.values()) {
      const u = readUsage(p.pid);
      p.cpu0 = p.cpu1 = u?.cpuS ?? 0;
      p.rss = p.rssMax = u?.rss ?? 0;
    }
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    this.t1 = performance.now();
    for (const p of this.procs.values()) {
      const u = readUsage(p.pid);
      if (!u) continue;
      p.cpu1 = u.cpuS;
      p.rss = u.rss;
      p.rssMax = Math.max(p.rssMax, u.rss);
    }
  }

  /** Ends the window: each process's share of a core over it, and the whole machine's. */
  end(): { rows: UsageRow[]; machine: MachineUsage } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const s = Math.max(0.001, (this.t1 - this.t0) / 1000);
    const mb = (b: number) => Math.round(b / 1_048_576);
    const m = machineCpu(), m0 = this.machine0;
    const pct = (x: number) => Math.round((x / s) * 100);
    const machine = { processes_pct: pct(m.procS - m0.procS), interrupts_pct: pct(m.irqS - m0.irqS), steal_pct: pct(m.stealS - m0.stealS), busy_pct: 0 };
    machine.busy_pct = machine.processes_pct + machine.interrupts_pct + machine.steal_pct;
    return {
      rows: [...this.procs.entries()].map(([name, p]) => ({
        name, pid: p.pid, cpu_pct: Math.round(((p.cpu1 - p.cpu0) / s) * 100), rss_mb: mb(p.rss), rss_max_mb: mb(p.rssMax),
      })),
      machine,
    };
  }
}

/** A latency histogram in whole milliseconds up to `maxMs` (30 min; beyond is counted as 30 min): bounded memory for millions of events. */
export class LatencyHistogram {
  private readonly buckets: Uint32Array;
  count = 0;
  max = 0;

  constructor(private readonly maxMs = 1_800_000) {
    this.buckets = new Uint32Array(maxMs + 1);
  }

  add(ms: number): void {
    const v = Math.max(0, Math.min(this.maxMs, Math.round(ms)));
    this.buckets[v]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The p-quantile (0..1), NaN when empty. */
  quantile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const want = Math.max(1, Math.ceil(this.count * p));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= want) return i;
    }
    return this.maxMs;
  }
}
