// The benchmark's load generator in its own process (so it never shares an event loop with the
// system under test): connect → run (paced or flat out, with optional threshold crossings) → close.
import { LoadGenerator, type LoadDevice, type LoadTarget } from '../../simulators/src/load/generator.js';
import { serve } from './ipc.js';

let gen: LoadGenerator | null = null;

serve({
  async connect(m) {
    const t0 = performance.now();
    gen = new LoadGenerator(m.devices as LoadDevice[], m.window as number);
    const r = await gen.connectAll(m.target as LoadTarget, { parallel: 50 });
    return { ...r, ms: Math.round(performance.now() - t0) };
  },
  async run(m) {
    const g = gen!;
    const durationMs = m.seconds as number * 1000;
    // Threshold crossings: each listed device sends one reading of `crossValue` at a spread-out time.
    const crossDevices = (m.crossDevices as string[] | undefined) ?? [];
    const crossAt = new Map(crossDevices.map((id, i) => [id, (i + 0.5) / crossDevices.length * durationMs * 0.8]));
    const crossed: [string, number][] = [];
    const start = Date.now();
    const cpu0 = process.cpuUsage();
    const r = await g.run({
      rate: (m.rate as number) > 0 ? (m.rate as number) : Number.POSITIVE_INFINITY,
      durationMs, batch: m.batch as number,
      value: crossAt.size ? (c, _seq, now) => {
        const at = crossAt.get(c.device.id);
        if (at === undefined || now - start < at) return undefined;
        crossAt.delete(c.device.id);
        crossed.push([c.device.id, Date.now()]);
        return `{"${m.crossMetric as string}":${m.crossValue as number}}`;
      } : undefined,
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuPct = Math.round(((cpu.user + cpu.system) / 1000 / (Date.now() - start)) * 100);
    return { ...r, offered: Number.isFinite(r.offered) ? r.offered : -1, crossed, cpuPct };
  },
  async close() {
    await gen?.close();
    gen = null;
    return {};
  },
  exit() {
    setTimeout(() => process.exit(0), 50);
    return {};
  },
});
process.send!({ ready: true });
