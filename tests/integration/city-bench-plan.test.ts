// bench:city's own logic (not its speed): the plan deals every device to exactly one edge and one
// generator and keeps each process under the open-files limit; a generator process (bench/city/
// generator-child.ts) connects its shares to the edges the plan names, over real brokers, and sends
// one reading per device per interval, each acknowledged only by the edge the device was dealt to;
// the /proc meter reads a real process's CPU and memory; the histogram's quantiles are exact.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createBroker, type BusSink, type CityBroker } from '@citygrid/broker';
import { planCity, processesFor, socketsPerProcess, FILE_HEADROOM } from '../../bench/city/plan.js';
import { LatencyHistogram, readUsage, stopProcess, UsageMeter } from '../../bench/city/procs.js';
import { call } from '../../bench/lib/ipc.js';
import { writeSyntheticCity } from '../helpers/synthetic-city.js';
import { ROOT } from '../helpers/system.js';

describe('the city plan', () => {
  it('deals 100,000 devices over 6 edges and 6 generators under a 20,000 open-files limit, each exactly once', () => {
    const per = socketsPerProcess(20_000);
    expect(per).toBe(20_000 - FILE_HEADROOM);
    const n = processesFor(100_000, per);
    expect(n).toBe(6);
    const ids = Array.from({ length: 100_000 }, (_, i) => `d-${i}`);
    const plan = planCity(ids, { edges: n, generators: n, perProcess: per });
    const seen = new Map<string, { edge: number; generator: number }>();
    for (const s of plan.shares) for (const d of s.devices) {
      expect(seen.has(d)).toBe(false);
      seen.set(d, { edge: s.edge, generator: s.generator });
    }
    expect(seen.size).toBe(100_000);
    expect(Math.max(...plan.perEdge)).toBeLessThanOrEqual(per);
    expect(Math.max(...plan.perGenerator) - Math.min(...plan.perGenerator)).toBeLessThanOrEqual(1);
    expect(plan.perEdge.reduce((a, b) => a + b, 0)).toBe(100_000);
    // with as many generators as edges, each generator talks to one edge
    expect(plan.shares).toHaveLength(6);
    expect(plan.shares.every((s) => s.edge === s.generator)).toBe(true);
  });

  it('spreads a generator over several edges when the counts differ, and refuses a plan over the limit', () => {
    const plan = planCity(Array.from({ length: 1000 }, (_, i) => i), { edges: 4, generators: 2, perProcess: 600 });
    expect(plan.perEdge).toEqual([250, 250, 250, 250]);
    expect(plan.perGenerator).toEqual([500, 500]);
    expect(plan.shares.filter((s) => s.generator === 0).map((s) => s.edge)).toEqual([0, 2]);
    expect(() => planCity(Array.from({ length: 100_000 }, (_, i) => i), { edges: 1, generators: 6, perProcess: 18_000 })).toThrow(/edge 1 would hold 100000 sockets/);
    expect(() => socketsPerProcess(1024)).toThrow(/no room/);
  });
});

describe('a generator process over real edges', () => {
  const brokers: CityBroker[] = [];
  let gen: ChildProcess | null = null;
  let removeCity = () => {};
  afterAll(async () => {
    if (gen) await stopProcess(gen, 2000, 'SIGKILL');
    await Promise.all(brokers.map((b) => b.close()));
    removeCity();
  });

  it('connects each device to the edge the plan names and sends one reading per device per interval, acknowledged by that edge', async () => {
    const city = await writeSyntheticCity({ cols: 4, rows: 4, devices: 60, kinds: ['water_level', 'noise'] });
    removeCity = city.remove;
    const devices = city.city.devices.map((d) => ({ id: d.id, kind: d.kind }));
    const plan = planCity(devices, { edges: 3, generators: 2, perProcess: 1000 });
    // three real brokers; each sink records which devices it was offered
    const offered: Map<string, number>[] = [];
    for (let e = 0; e < 3; e++) {
      const got = new Map<string, number>();
      offered.push(got);
      const sink: BusSink = { offer: async (device) => { got.set(device.id, (got.get(device.id) ?? 0) + 1); }, refusal: () => undefined };
      brokers.push(await createBroker({
        port: 0, host: '127.0.0.1', devices: city.city.devicesById, service: null, sink, allowAnonymous: false, logger: pino({ level: 'silent' }),
      }));
    }
    // one generator process holding generator 0's shares (two of the three edges)
    gen = fork(join(ROOT, 'bench', 'city', 'generator-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve) => gen!.on('message', (m: { ready?: boolean }) => { if (m.ready) resolve(); }));
    const mine = plan.shares.filter((s) => s.generator === 0);
    expect(mine.map((s) => s.edge)).toEqual([0, 1, 2]);
    const conn = await call<{ connected: number; failed: number }>(gen, { cmd: 'connect', parallel: 10, perSecond: 0, shares: mine.map((s) => ({ port: brokers[s.edge]!.port, devices: s.devices })) });
    expect(conn).toMatchObject({ connected: 30, failed: 0 });
    expect(brokers.map((b) => b.connectedClients())).toEqual(mine.map((s) => s.devices.length));

    const meter = new UsageMeter();
    meter.add('generator', gen.pid);
    meter.begin(200);
    const run = await call<{ messages: number; acked: number; errors: number }>(gen, { cmd: 'run', intervalMs: 1000, seconds: 3 });
    const { rows: [usage], machine } = meter.end();
    // 30 devices × one a second × 3 s (the pacer may be one message short at the end)
    expect(run.messages).toBeGreaterThanOrEqual(84);
    expect(run.messages).toBeLessThanOrEqual(90);
    expect(run).toMatchObject({ acked: run.messages, errors: 0 });
    for (const s of mine) {
      const got = offered[s.edge]!;
      expect([...got.keys()].sort()).toEqual(s.devices.map((d) => d.id).sort());
      for (const n of got.values()) expect(n).toBeGreaterThanOrEqual(2);
    }
    expect(offered.reduce((sum, m) => sum + [...m.values()].reduce((a, b) => a + b, 0), 0)).toBe(run.messages);
    expect(usage!.rss_mb).toBeGreaterThan(20);
    expect(usage!.cpu_pct).toBeGreaterThanOrEqual(0);
    expect(machine.busy_pct).toBeGreaterThan(0);
    expect(machine.busy_pct).toBe(machine.processes_pct + machine.interrupts_pct + machine.steal_pct);
    expect(readUsage(gen.pid!)!.cpuS).toBeGreaterThan(0);
    await call(gen, { cmd: 'close' });
    await expect.poll(() => brokers.reduce((s, b) => s + b.connectedClients(), 0)).toBe(0);
  });
});

describe('the latency histogram', () => {
  it('gives exact quantiles in whole milliseconds and clamps what is beyond its range', () => {
    const h = new LatencyHistogram(1000);
    expect(h.quantile(0.5)).toBeNaN();
    for (let i = 1; i <= 100; i++) h.add(i);
    expect([h.quantile(0.5), h.quantile(0.99), h.quantile(1)]).toEqual([50, 99, 100]);
    h.add(5000);
    expect(h.quantile(1)).toBe(1000);
    expect(h.max).toBe(5000);
    expect(h.count).toBe(101);
  });
});
