// Proves a Socket.IO client that stops reading (its TCP socket paused) neither makes the server
// buffer for it without end nor slows the others: under a flood of live events (a device sending
// thousands of bad messages a second, each one a `rejection` event) the server drops the stuck
// client, and a normal client meanwhile gets every event and then its alert. (How fast that alert
// comes is printed, not asserted: timings belong to `npm run bench:alerts`, not to a busy CI machine.)
import type { MqttClient } from 'mqtt';
import type { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type AlertSocketEvent } from '@citygrid/contract';
import { connectDevice, connectSocket, end, login, publish, readMetrics, startTestSystem, waitFor, type CitySocket } from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
const metric = async (name: string, labels?: Record<string, string>) => (await readMetrics(system.baseUrl))(name, labels);

beforeAll(async () => {
  system = await startTestSystem({ SIMULATE: '0', MQTT_DEVICE_RATE: '0' });
});
afterAll(async () => {
  await system?.stop();
});

it('drops a client that stops reading, while a normal one gets every event and then its alert', async () => {
  const normal: CitySocket = await connectSocket(system.baseUrl, await login(system.baseUrl, 'operator'));
  const slow: CitySocket = await connectSocket(system.baseUrl, await login(system.baseUrl, 'viewer'));
  let normalRejections = 0;
  normal.on('rejection', () => normalRejections++);
  await waitFor(async () => (await metric('citygrid_socket_clients')) === 2, 'two sockets');
  // the slow client stops reading: its TCP socket is paused, so the server's writes back up
  const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
  tcp.pause();

  const flooder: MqttClient = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, 'wl-0039');
  const emittedBefore = await metric('citygrid_socket_events_total', { event: 'rejection' });
  let stop = false;
  let sent = 0;
  const flood = (async () => {
    // bad payloads as fast as QoS 1 with 100 in flight allows, until the stuck client is dropped (bounded: 90 s)
    const until = Date.now() + 90_000;
    while (!stop && Date.now() < until) {
      await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((r) => flooder.publish(deviceTopic('wl-0039', 'telemetry'), `{"metrics":{"level_cm":"deep-${sent++}"}}`, { qos: 1 }, () => r()))));
    }
  })();
  await waitFor(async () => (await metric('citygrid_socket_slow_disconnects_total')) >= 1, 'the stuck client dropped', 90_000, 500);
  stop = true;
  await flood;
  expect(sent).toBeGreaterThan(10_000);
  expect(await metric('citygrid_socket_slow_disconnects_total')).toBe(1);
  await waitFor(async () => (await metric('citygrid_socket_clients')) === 1, 'one socket left');
  expect(normal.connected).toBe(true);

  // the normal client got every rejection event emitted meanwhile
  const emitted = (await metric('citygrid_socket_events_total', { event: 'rejection' })) - emittedBefore;
  expect(emitted).toBeGreaterThan(0);
  await waitFor(() => normalRejections >= emitted, `all ${emitted} rejection events at the normal client (has ${normalRejections})`, 20_000, 100);

  // and an alert reaches it
  const cover = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, 'mh-0006');
  let seenAt = 0;
  normal.on('alert', (e: AlertSocketEvent) => { if (e.alert.key === 'mh-0006' && !seenAt) seenAt = Date.now(); });
  const at = Date.now();
  await publish(cover, deviceTopic('mh-0006', 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 25 } }));
  await waitFor(() => seenAt, 'the manhole alert at the normal client', 15_000, 20);
  console.log(`slow-consumer: the alert reached the normal client ${seenAt - at} ms after its publish (${sent} flood messages before)`);
  await Promise.all([end(cover), end(flooder)]);
  normal.close();
  slow.close();
}, 180_000);
