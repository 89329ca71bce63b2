// Several load-generator processes driven as one, so that the generator is never what limits a run:
// the devices are dealt out round-robin, each process connects and runs its share at its share of the
// rate, and the results are added up (the CPU figure is the busiest process's).
import type { ChildProcess } from 'node:child_process';
import type { LoadDevice, LoadTarget, RunResult } from '../../simulators/src/load/generator.js';
import { call } from './ipc.js';

export type GenRun = RunResult & { crossed: [string, number][]; cpuPct: number; cpuPcts: number[] };

export class GeneratorPool {
  private shares: LoadDevice[][] = [];

  constructor(private readonly procs: ChildProcess[]) {}

  get size(): number {
    return this.procs.length;
  }

  async connect(devices: LoadDevice[], window: number, target: LoadTarget): Promise<{ failed: number; firstError: string | null; ms: number }> {
    this.shares = this.procs.map((_, i) => devices.filter((_d, j) => j % this.procs.length === i));
    const rs = await Promise.all(this.procs.map((p, i) => call<{ failed: number; firstError: string | null; ms: number }>(p, { cmd: 'connect', devices: this.shares[i], window, target })));
    return { failed: rs.reduce((s, r) => s + r.failed, 0), firstError: rs.find((r) => r.firstError)?.firstError ?? null, ms: Math.max(...rs.map((r) => r.ms)) };
  }

  /** Runs every process at once; `rate` 0 is flat out; crossings go to the process holding the device. */
  async run(rate: number, seconds: number, batch: number, extra: { crossDevices?: string[]; crossMetric?: string; crossValue?: number } = {}): Promise<GenRun> {
    const rs = await Promise.all(this.procs.map((p, i) => {
      const mine = new Set(this.shares[i]!.map((d) => d.id));
      const cross = extra.crossDevices ? { ...extra, crossDevices: extra.crossDevices.filter((id) => mine.has(id)) } : {};
      const share = rate > 0 ? rate * this.shares[i]!.length / this.shares.reduce((s, x) => s + x.length, 0) : 0;
      return call<RunResult & { crossed: [string, number][]; cpuPct: number }>(p, { cmd: 'run', rate: share, seconds, batch, ...cross });
    }));
    const sum = (k: 'messages' | 'readings' | 'ackedReadings' | 'errors' | 'behind') => rs.reduce((s, r) => s + r[k], 0);
    return {
      offered: rs.some((r) => r.offered < 0) ? -1 : rs.reduce((s, r) => s + r.offered, 0),
      messages: sum('messages'), readings: sum('readings'), ackedReadings: sum('ackedReadings'), errors: sum('errors'), behind: sum('behind'),
      seconds: Math.max(...rs.map((r) => r.seconds)),
      crossed: rs.flatMap((r) => r.crossed),
      cpuPct: Math.max(...rs.map((r) => r.cpuPct)),
      cpuPcts: rs.map((r) => r.cpuPct),
    };
  }

  close(): Promise<unknown> {
    return Promise.all(this.procs.map((p) => call(p, { cmd: 'close' })));
  }
}
