// One load-generator process of `npm run bench:city`: holds its share of the devices' connections
// (to one or more edges, from the city plan), keeps them alive while the others connect, then sends
// one reading per device per interval for a given time. Driven over IPC (bench/lib/ipc.ts):
// connect → status (any time) → run → close.
import { LoadGenerator, type LoadDevice } from '../../simulators/src/load/generator.js';
import { serve } from '../lib/ipc.js';

interface ShareMsg { port: number; devices: LoadDevice[] }

const WINDOW = 4; // QoS 1 messages in flight per device (one is the norm at one message per 10 s)
const KEEPALIVE_S = 60;

let gens: LoadGenerator[] = [];
let pinger: NodeJS.Timeout | null = null;
let failed = 0;
let firstError: string | null = null;

function counters() {
  let messages = 0, acked = 0, errors = 0, connected = 0;
  for (const g of gens) {
    messages += g.counters.messages;
    acked += g.counters.ackedReadings;
    errors += g.counters.errors;
    connected += g.connected();
  }
  return { messages, acked, errors, connected, failed, firstError };
}

serve({
  /** Opens every connection, at most `parallel` handshakes at once and `perSecond` new ones a second (0: no limit). */
  async connect(m) {
    const shares = m.shares as ShareMsg[];
    const total = shares.reduce((s, x) => s + x.devices.length, 0);
    const perSecond = (m.perSecond as number) > 0 ? (m.perSecond as number) : Number.POSITIVE_INFINITY;
    gens = shares.map((s) => new LoadGenerator(s.devices, WINDOW));
    // idle connections ping at half the keepalive, so none times out while the rest connect
    pinger = setInterval(() => { for (const g of gens) g.keepAlive((KEEPALIVE_S * 1000) / 2); }, 5000);
    const t0 = performance.now();
    const rs = await Promise.all(shares.map((s, i) => gens[i]!.connectAll({ host: '127.0.0.1', port: s.port }, {
      parallel: Math.max(1, Math.round(((m.parallel as number) * s.devices.length) / total)),
      perSecond: (perSecond * s.devices.length) / total,
      keepaliveS: KEEPALIVE_S,
      onProgress: () => undefined,
    })));
    failed = rs.reduce((s, r) => s + r.failed, 0);
    firstError = rs.find((r) => r.firstError)?.firstError ?? null;
    return { ...counters(), ms: Math.round(performance.now() - t0) };
  },
  status: () => counters(),
  /** One reading per device per `intervalMs`, for `seconds`; then waits (≤ 10 s) for outstanding acks. */
  async run(m) {
    const intervalMs = m.intervalMs as number;
    const before = counters();
    const rs = await Promise.all(gens.map((g) => g.run({ rate: (g.connections.length * 1000) / intervalMs, durationMs: (m.seconds as number) * 1000, batch: 1 })));
    const after = counters();
    return {
      messages: after.messages - before.messages, acked: after.acked - before.acked, errors: after.errors - before.errors,
      behind: rs.reduce((s, r) => s + r.behind, 0), connected: after.connected, seconds: Math.max(...rs.map((r) => r.seconds)),
    };
  },
  async close() {
    if (pinger) clearInterval(pinger);
    await Promise.all(gens.map((g) => g.close()));
    gens = [];
    return {};
  },
});
process.send!({ ready: true });
