// A bare broker for comparison: plain Aedes.createBroker() (no hooks, no processing) on a free port,
// or an external one (mosquitto), with one subscriber consuming in this process. The subscriber does
// what the CityGrid server's ingest client does (mqtt.js, persistent session, QoS 1 on the telemetry
// wildcard, acknowledging each message) and nothing else, so the difference is CityGrid's own work.
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { allDevicesTopic } from '@citygrid/contract';
import { serve } from './ipc.js';

// plain aedes (mqemitter concurrency 100) can overflow the stack in released -> _do while a burst of
// connections closes: the crash CityGrid's broker fixes with MQ_CONCURRENCY = 0. Say so in one line.
process.on('uncaughtException', (err) => {
  process.stderr.write(`bare broker process: ${err.name}: ${err.message} (after measuring; see broker/src/broker.ts MQ_CONCURRENCY)\n`);
  process.exit(70);
});
const external = process.env.BENCH_BROKER_PORT ? Number(process.env.BENCH_BROKER_PORT) : null;
let port = external ?? 0;
let closeBroker = async () => {};
if (external === null) {
  const broker = await Aedes.createBroker();
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
  closeBroker = () => new Promise<void>((r) => { server.close(); broker.close(() => r()); });
}
let received = 0;
const sink = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-sink', clean: process.env.BENCH_SINK_CLEAN === '1', protocolVersion: 4, reconnectPeriod: 1000 });
sink.handleMessage = (_packet, done) => {
  received++;
  done();
};
await new Promise<void>((resolve, reject) => {
  sink.once('connect', () => sink.subscribe(allDevicesTopic('telemetry'), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  sink.once('error', reject);
});

serve({
  count: () => ({ received, at: performance.now(), rss: process.memoryUsage().rss, cpu: process.cpuUsage() }),
  async stop() {
    await new Promise<void>((r) => sink.end(false, {}, () => r()));
    await closeBroker();
    return {};
  },
  exit() {
    setTimeout(() => process.exit(0), 50);
    return {};
  },
});
process.send!({ ready: true, port });
