// The map benchmark's load in its own process: one water-level gauge per grid cell, each reading
// alternately in alarm (level_cm 40, over the catalogue's alarm of 30) and normal (5), so that every
// reading flips its device's condition and with it its cell's (the gauge is the only device of its
// cell that is ever out of normal). Readings go round-robin over the gauges at `rate` a second, so the
// map sees exactly `rate` cell changes a second. Uses the load generator's raw MQTT client.
import { LoadGenerator, type LoadDevice, type LoadTarget } from '../../simulators/src/load/generator.js';
import { serve } from './ipc.js';

const ALARM = '{"level_cm":40}', NORMAL = '{"level_cm":5}';
let gen: LoadGenerator | null = null;
let stop = false;

serve({
  async connect(m) {
    const t0 = performance.now();
    gen = new LoadGenerator(m.devices as LoadDevice[], 4);
    const r = await gen.connectAll(m.target as LoadTarget, { parallel: 50 });
    return { ...r, ms: Math.round(performance.now() - t0) };
  },
  /** Starts flipping (answers at once); `stop` ends it and answers with the counts. */
  start(m) {
    stop = false;
    const cpu0 = process.cpuUsage(), t0 = Date.now();
    const done = gen!.run({
      rate: m.rate as number, durationMs: 3_600_000, batch: 1, stopped: () => stop,
      value: (_c, seq) => (seq % 2 === 0 ? ALARM : NORMAL),
    }).then((r) => {
      const cpu = process.cpuUsage(cpu0);
      return { ...r, cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (Date.now() - t0)) * 100) };
    });
    result = done;
    return {};
  },
  async stop() {
    stop = true;
    return (await result) ?? {};
  },
  async close() {
    await gen?.close();
    gen = null;
    return {};
  },
});
let result: Promise<Record<string, unknown>> | null = null;
process.send!({ ready: true });
