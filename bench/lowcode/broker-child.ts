// The low-code baseline's broker: plain Aedes.createBroker() (no hooks, no processing, in-memory
// persistence, as bench/lib/baseline-child.ts) on a free loopback port, with no subscriber of its
// own: Node-RED's mqtt-in node is the only one. It tells the benchmark which clients subscribed to
// what (to know when Node-RED is ready) and its own CPU time.
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { serve } from '../lib/ipc.js';

process.on('uncaughtException', (err) => {
  process.stderr.write(`low-code bench broker: ${err.name}: ${err.message}\n`);
  process.send?.({ crashed: `${err.name}: ${err.message}` });
  process.exit(70);
});

const broker = await Aedes.createBroker();
const subscribed = new Set<string>();
broker.on('subscribe', (subs, client) => {
  for (const s of subs) subscribed.add(`${client?.id ?? '?'} ${s.topic} ${s.qos}`);
});
const server = createServer((socket) => broker.handle(socket));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));

serve({
  /** `clientId topic qos` for every subscription made so far. */
  subscriptions: () => ({ subscribed: [...subscribed] }),
  usage: () => ({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, at: performance.now() }),
  async stop() {
    await new Promise<void>((r) => { server.close(); broker.close(() => r()); });
    return {};
  },
  exit() {
    setTimeout(() => process.exit(0), 50);
    return {};
  },
});
process.send!({ ready: true, port: (server.address() as AddressInfo).port });
