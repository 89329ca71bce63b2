// Proves a QoS 1 message that reaches the server twice (the broker took it, the device never heard
// so and sent it again) is taken once when it can be told apart — it carries ts or seq, or the
// device marks the copy with DUP: one stored row, one socket event, one observation by the rules (no
// alert raised early, none twice), counted as a duplicate; and that readings without ts, stamped on
// receipt, are not overwritten by a neighbour stamped in the same millisecond.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type AlertSocketEvent, type CameraSocketEvent, type ReadingEvent } from '@citygrid/contract';
import { startMqttProxy, type MqttProxy } from '../helpers/mqtt-proxy.js';
import {
  connectDevice, connectSocket, end, getJson, login, publish, readMetrics, startTestSystem, tempDir, waitFor, type CitySocket,
} from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let proxy: MqttProxy; // mqtt.js as it is: re-sends without DUP
let compliant: MqttProxy; // re-sends marked DUP, as MQTT 3.1.1 asks
let socket: CitySocket;
let token: string;
const readings: ReadingEvent[] = [];
const cameraEvents: CameraSocketEvent[] = [];
const alerts: AlertSocketEvent[] = [];

beforeAll(async () => {
  system = await startTestSystem();
  proxy = await startMqttProxy(system.mqttPort!);
  compliant = await startMqttProxy(system.mqttPort!, { markResends: true });
  token = await login(system.baseUrl, 'operator');
  socket = await connectSocket(system.baseUrl, token);
  socket.on('reading', (e) => readings.push(e));
  socket.on('camera-event', (e) => cameraEvents.push(e));
  socket.on('alert', (e) => alerts.push(e));
});
afterAll(async () => {
  socket?.close();
  await proxy?.close();
  await compliant?.close();
  await system?.stop();
});

const metric = async (name: string, labels?: Record<string, string>) => (await readMetrics(system.baseUrl))(name, labels);

/** A device behind a proxy, with a persistent session, reconnecting by itself when the link drops. */
const deviceBehind = (via: MqttProxy, id: string): Promise<MqttClient> => connectDevice(via.url, id, undefined, { clientId: `${id}-redelivery`, clean: false, reconnectPeriod: 100 });

/** Publishes `payload` while the broker's PUBACK for it is lost: resolves once the re-sent copy is acknowledged. */
async function publishTwice(via: MqttProxy, device: MqttClient, topic: string, payload: string): Promise<void> {
  const resendsBefore = via.resends();
  const lost = via.loseNextPuback();
  await publish(device, topic, payload);
  await lost;
  expect(via.resends(), 'the device sent the message again').toBe(resendsBefore + 1);
}

describe('a QoS 1 message delivered twice', () => {
  it('counts a re-sent camera event once: stored once, one socket event, and its rule fires only on a real third event', async () => {
    const id = 'cam-0001'; // grid jiangan-026; road-obstruction fires at 3 events within 10 min
    const topic = deviceTopic(id, 'event');
    const t0 = Date.now() - 60_000;
    const event = (i: number) => JSON.stringify({ ts: t0 + i, seq: i, type: 'road_obstruction', confidence: 0.9, count: 1 });
    const received0 = await metric('citygrid_messages_received_total', { channel: 'event' });
    const duplicates0 = await metric('citygrid_messages_duplicate_total', { channel: 'event' });
    const stored0 = await metric('citygrid_camera_events_stored_total');
    const device = await deviceBehind(proxy, id);
    try {
      await publish(device, topic, event(1));
      await publishTwice(proxy, device, topic, event(2));
      // both copies reached the server (the pipeline is synchronous: counted = evaluated)
      await waitFor(async () => (await metric('citygrid_messages_received_total', { channel: 'event' })) === received0 + 3, 'three messages received');
      await waitFor(() => cameraEvents.filter((e) => e.device === id).length >= 2, 'the socket events of both');
      // two events seen: the rule (3 within 10 min) must not have fired on the copy
      expect(alerts.filter((a) => a.alert.rule === 'road-obstruction' && a.alert.grid === 'jiangan-026'), 'an alert raised by the copy').toEqual([]);
      expect(await metric('citygrid_messages_duplicate_total', { channel: 'event' })).toBe(duplicates0 + 1);
      await waitFor(async () => (await metric('citygrid_camera_events_stored_total')) === stored0 + 2, 'two events stored');

      // positive control: a real third event makes the rule fire, once
      await publish(device, topic, event(3));
      await waitFor(() => alerts.some((a) => a.alert.rule === 'road-obstruction' && a.alert.grid === 'jiangan-026'), 'the road-obstruction alert');
      await waitFor(async () => (await metric('citygrid_camera_events_stored_total')) === stored0 + 3, 'three events stored');
      expect(cameraEvents.filter((e) => e.device === id).map((e) => e.ts)).toEqual([t0 + 1, t0 + 2, t0 + 3]);
      const raised = alerts.filter((a) => a.alert.rule === 'road-obstruction' && a.alert.grid === 'jiangan-026' && a.event === 'firing');
      expect(raised).toHaveLength(1);
      expect(await metric('citygrid_camera_events_stored_total')).toBe(stored0 + 3);
    } finally {
      await end(device);
    }
  });

  it.each([
    { what: 'with seq and no ts (stamped on receipt), re-sent without DUP', id: 'wl-0031', via: () => proxy, payload: (v: number, seq: number) => ({ seq, metrics: { level_cm: v } }) },
    { what: 'with neither ts nor seq, re-sent with DUP', id: 'wl-0033', via: () => compliant, payload: (v: number) => ({ metrics: { level_cm: v } }) },
  ])('takes a reading $what once: one row, one socket reading, one rule observation', async ({ id, via, payload }) => {
    const topic = deviceTopic(id, 'telemetry');
    const accepted0 = await metric('citygrid_readings_accepted_total');
    const duplicates0 = await metric('citygrid_messages_duplicate_total', { channel: 'telemetry' });
    const from = Date.now() - 1000;
    const device = await deviceBehind(via(), id);
    try {
      await publishTwice(via(), device, topic, JSON.stringify(payload(4.5, 1)));
      await waitFor(async () => (await metric('citygrid_messages_duplicate_total', { channel: 'telemetry' })) === duplicates0 + 1, 'the copy seen as a duplicate');
      expect(await metric('citygrid_readings_accepted_total')).toBe(accepted0 + 1);
      // positive control: a different reading a moment later is taken
      await new Promise((r) => setTimeout(r, 1100)); // past the socket's one-reading-per-second window
      await publish(device, topic, JSON.stringify(payload(5.5, 2)));
      await waitFor(async () => (await metric('citygrid_readings_accepted_total')) === accepted0 + 2, 'the second reading taken');
      await waitFor(() => readings.filter((e) => e.device === id).length >= 2, 'two socket readings');
      const rows = await getJson<{ series: { metric: string; points: { ts: number; value: number }[] }[] }>(`${system.baseUrl}/api/devices/${id}/readings?metric=level_cm&from=${from}`, token);
      expect(rows.body.series[0]!.points.map((p) => p.value)).toEqual([4.5, 5.5]);
      expect(readings.filter((e) => e.device === id).map((e) => e.metrics.level_cm)).toEqual([4.5, 5.5]);
    } finally {
      await end(device);
    }
  });

  it('keeps every reading of a batch without ts: each stamped with its own millisecond, in order', async () => {
    const id = 'wl-0032';
    const from = Date.now() - 1000;
    const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, id);
    try {
      const batch = Array.from({ length: 50 }, (_, i) => ({ metrics: { level_cm: i } }));
      await publish(device, deviceTopic(id, 'telemetry'), JSON.stringify(batch));
      await publish(device, deviceTopic(id, 'telemetry'), JSON.stringify({ metrics: { level_cm: 50 } }));
      const values = await waitFor(async () => {
        const res = await getJson<{ series: { points: { ts: number; value: number }[] }[] }>(`${system.baseUrl}/api/devices/${id}/readings?metric=level_cm&from=${from}`, token);
        const points = res.body.series[0]?.points ?? [];
        return points.length >= 51 ? points : null;
      }, 'all 51 readings stored');
      expect(values.map((p) => p.value)).toEqual(Array.from({ length: 51 }, (_, i) => i));
      expect(new Set(values.map((p) => p.ts)).size).toBe(51);
    } finally {
      await end(device);
    }
  });
});

describe('a copy that arrives after the server restarted', () => {
  it('is still recognised when the reading was stamped on receipt (the store kept its identity), and a new one is taken', async () => {
    const data = tempDir();
    const id = 'wl-0034';
    const topic = deviceTopic(id, 'telemetry');
    const payload = JSON.stringify({ seq: 41, metrics: { level_cm: 7.5 } });
    const rowsOf = async (s: Awaited<ReturnType<typeof startTestSystem>>) => {
      const [series] = await s.store.queryReadings({ device: id, kind: 'water_level', metrics: ['level_cm'], from: 0, to: Date.now() + 60_000, step: null, limit: 100 });
      return series!.points.length;
    };
    try {
      const first = await startTestSystem({ DATA_DIR: data.path });
      const a = await connectDevice(`mqtt://127.0.0.1:${first.mqttPort}`, id);
      await publish(a, topic, payload);
      await end(a);
      await waitFor(async () => (await rowsOf(first)) === 1, 'the reading stored');
      await first.stop();

      const second = await startTestSystem({ DATA_DIR: data.path });
      try {
        const b = await connectDevice(`mqtt://127.0.0.1:${second.mqttPort}`, id);
        await publish(b, topic, payload); // the broker sends again what the killed server never acknowledged
        await publish(b, topic, JSON.stringify({ seq: 42, metrics: { level_cm: 7.5 } })); // positive control: a new reading
        await end(b);
        await waitFor(async () => (await rowsOf(second)) === 2, 'the new reading stored');
        const m = await readMetrics(second.baseUrl);
        expect(m('citygrid_messages_duplicate_total', { channel: 'telemetry' })).toBe(1);
        expect(m('citygrid_readings_accepted_total')).toBe(1);
        expect(await rowsOf(second)).toBe(2);
      } finally {
        await second.stop();
      }
    } finally {
      data.remove();
    }
  });
});
