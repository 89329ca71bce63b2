// Proves a packet header announcing far more than the contract allows closes the connection at once, before authentication: under 100 connections each announcing 256 MiB and pouring 3 MB, the `npm run broker` process reads at most ~70 KiB of each, its RSS stays flat, and a good device's readings are all stored meanwhile.
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { SERVICE_PASSWORD, freePort, startChild, type Child } from '../helpers/processes.js';
import { CONNECT, header, pour, rawConnection } from '../helpers/raw-mqtt.js';
import { DEMO_CITY, connectDevice, end, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const ATTACKERS = 100;
const ANNOUNCED = 268_435_455; // the largest remaining length MQTT can announce: 256 MiB - 1
const POURED = 3 * 1024 * 1024; // what each attacker then tries to send
const READ_BOUND = 70 * 1024; // what the broker may read of each before closing
const RSS_BOUND = 50 * 1024 * 1024; // growth allowed for the broker process (generous: the V8 heap breathes)
const GOOD = 'wl-0011';

let broker: Child;
let port: number;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let device: MqttClient;
const data = tempDir();

const rss = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
};

beforeAll(async () => {
  port = await freePort();
  // the standalone broker, with debug logs: each refused connection is logged with what was read of it
  broker = await startChild('broker/src/main.ts', {
    MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, MQTT_DEVICE_RATE: '0', BROKER_HTTP_PORT: 'off', LOG_LEVEL: 'debug',
  }, 'MQTT broker listening');
  system = await startTestSystem({ MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_PASSWORD: SERVICE_PASSWORD, DATA_DIR: data.path });
  device = await connectDevice(`mqtt://127.0.0.1:${port}`, GOOD);
}, 120_000);

afterAll(async () => {
  await end(device);
  await system?.stop();
  await broker?.kill('SIGTERM');
  data.remove();
});

it('closes each connection announcing 256 MiB after at most ~70 KiB; the broker RSS stays flat and good readings are stored', async () => {
  const pid = broker.process.pid!;
  const t0 = Date.now() - 60_000;
  let seq = 0;
  const query = async () => (await system.store.queryReadings({ device: GOOD, kind: 'water_level', metrics: ['level_cm'], from: t0, to: t0 + 10_000_000, step: null, limit: 100_000 }))[0]!.points.length;
  // a first reading through broker and server, so everything is warmed up before measuring
  await publish(device, deviceTopic(GOOD, 'telemetry'), JSON.stringify({ ts: t0, metrics: { level_cm: 1 }, seq: seq++ }));
  await waitFor(async () => (await query()) === 1, 'the first reading stored', 30_000);

  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => { try { peak = Math.max(peak, rss(pid)); } catch { /* exited */ } }, 50);

  // a good device keeps publishing during the attack
  let attacking = true;
  let goodError: unknown = null;
  const good = (async () => {
    while (attacking && !goodError) {
      await publish(device, deviceTopic(GOOD, 'telemetry'), JSON.stringify({ ts: t0 + seq * 10, metrics: { level_cm: seq % 50 }, seq })).then(() => { seq++; }, (err: unknown) => { goodError = err; });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const attacks = await Promise.all(Array.from({ length: ATTACKERS }, async () => {
    const c = await rawConnection(port);
    c.socket.write(header(CONNECT, ANNOUNCED));
    const written = await pour(c.socket, chunk, POURED);
    return { c, written };
  }));
  // every one of them closed by the broker (none of them ever completes its CONNECT)
  await waitFor(() => attacks.every((a) => a.c.isClosed()), 'every attacking connection closed', 60_000);
  clearInterval(sampler);
  peak = Math.max(peak, rss(pid));
  attacking = false;
  await good;

  // the broker's own account of each: what it read before closing (debug log lines)
  const refusals = broker.output().split('\n').filter((l) => l.includes('"packet_too_large"')).map((l) => JSON.parse(l) as { read: number; announced: number });
  console.log(`RSS ${Math.round(before / 1048576)} MB -> peak ${Math.round(peak / 1048576)} MB; attackers handed their kernel ${Math.round(attacks.reduce((s, a) => s + a.written, 0) / 1048576)} MB in all; refusals logged: ${refusals.length}, largest read by the broker: ${Math.max(0, ...refusals.map((r) => r.read))} bytes`);
  expect(peak - before, 'growth of the broker process RSS (bytes)').toBeLessThanOrEqual(RSS_BOUND);
  expect(refusals.length, 'refused connections the broker logged').toBe(ATTACKERS);
  for (const r of refusals) {
    expect(r.announced).toBe(ANNOUNCED);
    expect(r.read).toBeLessThanOrEqual(READ_BOUND);
  }

  // the good device's readings, every one of them, stored meanwhile
  expect(goodError, 'a publish of the good device failed').toBeNull();
  await waitFor(async () => (await query()) === seq, `all ${seq} good readings stored`, 60_000);
  expect(seq).toBeGreaterThan(1);
});
