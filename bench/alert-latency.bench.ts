// `npm run bench:alerts`: the whole embedded system with the demo city's simulated load; manhole
// covers are opened one after another over MQTT and the time from publish to the `alert` event on a
// Socket.IO client is measured (target p99 ≤ 1 s). The last line is one JSON object.
import { parseArgs } from 'node:util';
import { io as socketClient, type Socket } from 'socket.io-client';
import type { AlertSocketEvent, ClientToServerEvents, ServerToClientEvents } from '@citygrid/contract';
import { connectDevice, end, login, publish, startTestSystem } from '../tests/helpers/system.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, gap: { type: 'string', default: '200' } } });
const ROUNDS = Number(values.rounds);
const GAP_MS = Number(values.gap);

const system = await startTestSystem({ SIMULATE: '1', LOG_LEVEL: 'silent' });
const socket: Socket<ServerToClientEvents, ClientToServerEvents> = socketClient(system.baseUrl, { transports: ['websocket'], auth: { token: await login(system.baseUrl, 'operator') } });
await new Promise<void>((r) => socket.once('connect', () => r()));
const waiting = new Map<string, { at: number; resolve: (ms: number) => void }>();
socket.on('alert', (e: AlertSocketEvent) => {
  if (e.alert.rule !== 'manhole-open' || (e.event !== 'firing' && e.event !== 'reopened')) return;
  const w = waiting.get(e.alert.key);
  if (w) {
    waiting.delete(e.alert.key);
    w.resolve(performance.now() - w.at);
  }
});

console.log('letting the demo city warm up for 5 s...');
await new Promise((r) => setTimeout(r, 5000));
const manholes = system.city.devices.filter((d) => d.kind === 'manhole_cover').map((d) => d.id);
const url = `mqtt://127.0.0.1:${system.mqttPort}`;
const latencies: number[] = [];
let missed = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const id of manholes) {
    const device = await connectDevice(url, id);
    const arrived = new Promise<number>((resolve) => waiting.set(id, { at: performance.now(), resolve }));
    await publish(device, `city/v1/devices/${id}/telemetry`, JSON.stringify({ metrics: { open: true, tilt_deg: 40 } }), 0);
    const ms = await Promise.race([arrived, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    if (ms === null) {
      missed++;
      waiting.delete(id);
    } else latencies.push(ms);
    await publish(device, `city/v1/devices/${id}/telemetry`, JSON.stringify({ metrics: { open: false, tilt_deg: 1 } }), 0);
    await end(device);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
}
socket.close();
await system.stop();
latencies.sort((a, b) => a - b);
const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN);
console.log(`${latencies.length} alerts under the demo load (${system.city.devices.length} simulated devices): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms, missed ${missed}`);
console.log(JSON.stringify({ bench: 'alert-latency', alerts: latencies.length, missed, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1) }));
process.exit(0);
