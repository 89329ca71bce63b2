// One load-mode worker process: connects its slice of devices (ramped), then publishes at its share
// of the rate until told to stop; reports its counters to the parent four times a second.
import { LoadGenerator, type LoadDevice, type LoadTarget } from './generator.js';
import type { WorkerStatus } from './load-mode.js';

interface Start { devices: LoadDevice[]; target: LoadTarget; rampPerS: number; ratePerS: number; batch: number; keepaliveS: number }

const MAX_RUN_MS = 365 * 86_400_000; // "until stopped", still a bound
let stop = false;
let gen: LoadGenerator | null = null;
let connectResult = { failed: 0, firstError: null as string | null };

function status(done = false): WorkerStatus {
  const c = gen?.counters;
  return {
    connected: gen?.connected() ?? 0, failed: connectResult.failed, firstError: connectResult.firstError,
    messages: c?.messages ?? 0, readings: c?.readings ?? 0, acked: c?.ackedMessages ?? 0, errors: c?.errors ?? 0, ...(done ? { done } : {}),
  };
}

process.on('message', (m: Start | { stop: true }) => {
  if ('stop' in m) {
    stop = true;
    return;
  }
  void (async () => {
    const g = (gen = new LoadGenerator(m.devices, 4));
    let failed = 0;
    const reporter = setInterval(() => process.send!(status()), 250);
    connectResult = await g.connectAll(m.target, {
      parallel: 500, perSecond: m.rampPerS, keepaliveS: m.keepaliveS,
      onProgress: (_done, f) => { failed = f; },
    });
    void failed;
    const pinger = setInterval(() => g.keepAlive((m.keepaliveS * 1000) / 2), 5000);
    if (!stop) await g.run({ rate: m.ratePerS, durationMs: MAX_RUN_MS, batch: m.batch, stopped: () => stop });
    clearInterval(pinger);
    clearInterval(reporter);
    const final = status(true);
    await g.close();
    process.send!(final, () => process.exit(0));
  })();
});
process.on('SIGINT', () => { stop = true; }); // the terminal's Ctrl-C reaches the whole group: the parent decides
