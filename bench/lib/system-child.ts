// The system under test in its own process: startTestSystem (embedded broker, SQLite or InfluxDB),
// answering the benchmark with its CPU time and memory (the benchmark counts stored readings itself,
// so that counting does not cost the system under test).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startTestSystem } from '../../tests/helpers/system.js';
import { serve } from './ipc.js';

const env = JSON.parse(process.env.BENCH_SYSTEM_ENV ?? '{}') as Record<string, string>;
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
process.on('uncaughtException', (err) => {
  process.stderr.write(`system under test crashed: ${err.stack ?? err.message}\n`);
  process.send?.({ crashed: `${err.name}: ${err.message}` });
  process.exit(70);
});

const system = await startTestSystem({ LOG_LEVEL: 'warn', ...env }, logger);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

serve({
  usage: () => ({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, at: performance.now() }),
  /** Event-loop delay since the last call (ms): how long the server could not run anything. */
  loopDelay: () => {
    const r = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    loopDelay.reset();
    return r;
  },
  async stop() {
    const t0 = performance.now();
    await system.stop();
    return { stopMs: Math.round(performance.now() - t0) };
  },
  exit() {
    setTimeout(() => process.exit(0), 50);
    return {};
  },
});
process.send!({ ready: true, mqttPort: system.mqttPort, baseUrl: system.baseUrl, dataDir: system.dataDir });
