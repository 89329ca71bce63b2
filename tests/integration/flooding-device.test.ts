// Proves a device flooding the broker at 100× its budget (the default 20 messages/s, bursts of 200)
// is throttled, told so in a few summed-up reports (not one per message) and named in a blue alert,
// while other devices' alerts still reach the control room within the benchmark's p99 target (250 ms).
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type AlertSocketEvent, type Rejection } from '@citygrid/contract';
import { connectDevice, connectSocket, end, login, publish, startTestSystem, subscribe, waitFor, type CitySocket } from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let socket: CitySocket;
const FLOODER = 'wl-0040';
const BUDGET = 20;
const SECONDS = 3;

beforeAll(async () => {
  system = await startTestSystem({ SIMULATE: '0' }); // the default budget
  socket = await connectSocket(system.baseUrl, await login(system.baseUrl, 'operator'));
});
afterAll(async () => {
  socket?.close();
  await system?.stop();
});

it('throttles a device sending 100× its budget, reports it summed up, and keeps others fast', async () => {
  const url = `mqtt://127.0.0.1:${system.mqttPort}`;
  const flooder: MqttClient = await connectDevice(url, FLOODER);
  const told: Rejection[] = [];
  await subscribe(flooder, deviceTopic(FLOODER, 'rejections'));
  flooder.on('message', (_t, p) => told.push(JSON.parse(p.toString()) as Rejection));

  // 100× the budget for 3 s, QoS 1, 50 in flight
  const total = BUDGET * 100 * SECONDS;
  const t0 = Date.now() - 600_000;
  let sent = 0;
  const flood = new Promise<void>((resolve) => {
    let next = 0, inFlight = 0;
    const started = Date.now();
    const pump = () => {
      while (inFlight < 50 && next < total && next < ((Date.now() - started) / 1000) * BUDGET * 100) {
        const seq = next++;
        inFlight++;
        flooder.publish(deviceTopic(FLOODER, 'telemetry'), JSON.stringify({ ts: t0 + seq, seq, metrics: { level_cm: 5 } }), { qos: 1 }, () => {
          inFlight--;
          sent++;
          if (sent === total) resolve();
        });
      }
      if (next < total) setTimeout(pump, 5);
    };
    pump();
  });

  // meanwhile, 25 manhole covers open one after another: each alert's publish → socket latency
  const covers = system.city.devices.filter((d) => d.kind === 'manhole_cover').slice(10, 35).map((d) => d.id);
  expect(covers).toHaveLength(25);
  const clients = await Promise.all(covers.map((id) => connectDevice(url, id)));
  const latencies: number[] = [];
  for (const [i, id] of covers.entries()) {
    const seen = new Promise<number>((resolve) => {
      const on = (e: AlertSocketEvent) => {
        if (e.alert.key === id && e.event === 'firing') {
          socket.off('alert', on);
          resolve(Date.now());
        }
      };
      socket.on('alert', on);
    });
    const at = Date.now();
    await publish(clients[i]!, deviceTopic(id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 20 } }));
    latencies.push((await seen) - at);
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / covers.length));
  }
  await flood;
  await Promise.all(clients.map((c) => end(c)));

  // the flooder: most refused, reported in a few summed-up reports
  await system.store.flush();
  const stored = (await system.store.queryReadings({ device: FLOODER, kind: 'water_level', metrics: ['level_cm'], from: t0, to: t0 + total, step: null, limit: 100_000 }))
    .reduce((n, s) => n + s.points.length, 0);
  expect(stored).toBeGreaterThanOrEqual(200); // the burst went through
  expect(stored).toBeLessThan(200 + BUDGET * (SECONDS + 3)); // then about the budget
  await waitFor(() => told.reduce((n, r) => n + (r.count ?? 1), 0) === total - stored, 'every refused message reported', 20_000, 200);
  expect(told.length).toBeLessThanOrEqual(3);
  expect(told.every((r) => r.reason === 'rate_limited' && r.by === 'broker')).toBe(true);
  expect(told[0]!.message).toContain('20 a second');
  const metrics = await (await fetch(`${system.baseUrl}/metrics`)).text();
  expect(metrics).toContain(`citygrid_messages_rejected_total{reason="rate_limited",by="broker"} ${total - stored}`);

  // a blue alert tells the control room which device it is
  const flooding = await waitFor(async () => {
    const res = await fetch(`${system.baseUrl}/api/alerts`, { headers: { authorization: `Bearer ${await login(system.baseUrl, 'operator')}` } });
    return ((await res.json()) as { alerts: { rule: string; key: string; severity: string; message: string }[] }).alerts.find((a) => a.rule === 'device-flooding' && a.key === FLOODER);
  }, 'the device-flooding alert', 15_000, 250);
  expect(flooding.severity).toBe('blue');

  // the others: fast
  latencies.sort((a, b) => a - b);
  expect(latencies).toHaveLength(covers.length);
  expect(latencies.at(-1)!, `alert latencies ${latencies.join(', ')} ms`).toBeLessThan(250);
  await end(flooder);
}, 120_000);
