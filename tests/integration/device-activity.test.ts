// Proves a device's page (GET /api/devices/:id/activity, POST /api/devices/:id/test-reading) against
// the real embedded broker and store: connects and disconnects are recorded with their reason (a
// clean DISCONNECT, a keepalive timeout with the last will, a take-over by the same client id, a
// refused login), a refused message shows with its reason among the accepted ones, newest first;
// the test reading goes through the broker as the device and is stored; a grid worker of another
// cell gets 404 and a viewer may not press test (403).
import { connect as tcpConnect } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type DeviceActivityResponse, type ReadingSeries, type TestReadingResponse } from '@citygrid/contract';
import { connectPacket } from '../helpers/raw-mqtt.js';
import { connectDevice, end, getJson, login, publish, sendJson, startTestSystem, waitFor } from '../helpers/system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;
const DEVICE = 'wl-0011'; // water level, cell jiangan-028
const OWN_WORKER = 'gw-jiangan-028';
const OTHER_WORKER = 'gw-jiangan-001';

describe('a device\'s page: connections, last messages, test reading', () => {
  let system: System;
  let operator = '';
  let viewer = '';
  const clients: MqttClient[] = [];
  const mqttUrl = () => `mqtt://127.0.0.1:${system.mqttPort}`;
  const activity = async (token: string, id = DEVICE) => getJson<DeviceActivityResponse>(`${system.baseUrl}/api/devices/${id}/activity`, token);

  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0' });
    [operator, viewer] = await Promise.all([login(system.baseUrl, 'operator'), login(system.baseUrl, 'viewer')]);
  });
  afterAll(async () => {
    for (const c of clients) await end(c);
    await system?.stop();
  });

  it('records a connect (address, protocol, client id, clean session) and a clean DISCONNECT, and says online/offline', async () => {
    const device = await connectDevice(mqttUrl(), DEVICE, undefined, { clientId: `${DEVICE}/page-a`, clean: true });
    const online = await waitFor(async () => {
      const { body } = await activity(operator);
      return body.state?.online ? body : null;
    }, 'the device online on its page');
    expect(online.connectionsKept).toBe(true);
    expect(online.state).toMatchObject({ online: true, address: '127.0.0.1', transport: 'tcp', clientId: `${DEVICE}/page-a`, connections: 1 });
    expect(online.connections[0]).toMatchObject({ type: 'connect', clientId: `${DEVICE}/page-a`, clean: true, transport: 'tcp', address: '127.0.0.1' });
    await device.endAsync(); // DISCONNECT
    const offline = await waitFor(async () => {
      const { body } = await activity(operator);
      return body.state.online ? null : body;
    }, 'the device offline on its page');
    expect(offline.connections[0]).toMatchObject({ type: 'disconnect', reason: 'client_disconnect', clientId: `${DEVICE}/page-a` });
    expect(offline.connections[0]).not.toHaveProperty('will');
    expect(offline.state.since).toBe(offline.connections[0]!.ts);
  });

  it('records a keepalive timeout, with the last will the broker published', async () => {
    const socket = tcpConnect(system.mqttPort!, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    // keepalive 1 s, then silence: the broker closes it after 1.5 s and publishes the will
    socket.write(connectPacket({ clientId: `${DEVICE}/silent`, username: DEVICE, password: `demo-${DEVICE}`, keepaliveS: 1, will: { topic: deviceTopic(DEVICE, 'status'), payload: 'offline', qos: 1, retain: true } }));
    const timedOut = await waitFor(async () => {
      const { body } = await activity(operator);
      return body.connections.find((e) => e.type === 'disconnect' && e.clientId === `${DEVICE}/silent`);
    }, 'the keepalive timeout on the page', 20_000);
    socket.destroy();
    expect(timedOut).toMatchObject({ type: 'disconnect', reason: 'keepalive_timeout', will: { topic: deviceTopic(DEVICE, 'status'), payload: 'offline' } });
  });

  it('records a take-over by a new connection with the same client id', async () => {
    const first = await connectDevice(mqttUrl(), DEVICE, undefined, { clientId: DEVICE });
    first.on('close', () => first.end(true)); // no reconnecting
    const second = await connectDevice(mqttUrl(), DEVICE, undefined, { clientId: DEVICE });
    clients.push(first, second);
    const body = await waitFor(async () => {
      const { body } = await activity(operator);
      return body.connections[0]?.type === 'connect' && body.connections.some((e) => e.type === 'disconnect' && e.reason === 'taken_over') ? body : null;
    }, 'the take-over on the page');
    const [newest, before] = body.connections;
    expect(newest).toMatchObject({ type: 'connect', clientId: DEVICE });
    expect(before).toMatchObject({ type: 'disconnect', clientId: DEVICE, reason: 'taken_over' });
    expect(body.state).toMatchObject({ online: true, clientId: DEVICE, connections: 1 });
    await end(second);
  });

  it('records a refused login in the device\'s name', async () => {
    const err = await connectDevice(mqttUrl(), DEVICE, 'not-the-secret').then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    const refused = await waitFor(async () => (await activity(operator)).body.connections.find((e) => e.type === 'refused'), 'the refused login on the page');
    expect(refused).toMatchObject({ type: 'refused', address: '127.0.0.1' });
    expect(refused.type === 'refused' && refused.message).toMatch(/Wrong password/);
  });

  it('shows a refused message with its reason among the accepted ones, newest first', async () => {
    const device = await connectDevice(mqttUrl(), DEVICE);
    clients.push(device);
    const t0 = Date.now() - 3_000;
    await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts: t0, metrics: { level_cm: 3.5 } }));
    await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts: t0 + 1, metrics: { level_cm: 'deep' }, seq: 7 }));
    await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts: t0 + 1_000, metrics: { level_cm: 4.5 } }));
    const body = await waitFor(async () => {
      const { body } = await activity(operator);
      return body.messages.some((m) => m.outcome === 'refused') && body.messages.filter((m) => m.outcome === 'accepted').length >= 2 ? body : null;
    }, 'the messages on the page');
    const refused = body.messages.find((m) => m.outcome === 'refused')!;
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'wrong_type', by: 'server', seq: 7 });
    expect(refused.outcome === 'refused' && refused.message).toMatch(/level_cm/);
    const accepted = body.messages.filter((m) => m.outcome === 'accepted');
    expect(accepted.map((m) => m.ts)).toEqual([t0 + 1_000, t0]);
    expect(accepted[0]).toMatchObject({ metrics: { level_cm: 4.5 } });
    const times = body.messages.map((m) => m.ts);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(body.messages.length).toBeLessThanOrEqual(50);
  });

  it('sends a test reading through the broker as the device: stored, audited, shown on the page', async () => {
    const res = await sendJson<TestReadingResponse>(`${system.baseUrl}/api/devices/${DEVICE}/test-reading`, {}, operator);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ device: DEVICE, outcome: 'accepted' });
    const { ts, metrics } = res.body.sent;
    expect(typeof metrics.level_cm).toBe('number');
    // in the store, read through the device's readings route
    const { body: readings } = await getJson<{ series: ReadingSeries[] }>(`${system.baseUrl}/api/devices/${DEVICE}/readings?metric=level_cm&from=${ts}&to=${ts + 1}`, operator);
    expect(readings.series[0]!.points).toEqual([{ ts, value: metrics.level_cm }]);
    // on the page: the message, and the test connection (marked as such) that made it
    const { body } = await activity(operator);
    expect(body.messages[0]).toMatchObject({ ts, outcome: 'accepted', metrics: { level_cm: metrics.level_cm } });
    expect(body.connections.some((e) => e.type === 'connect' && e.test === true)).toBe(true);
    const admin = await login(system.baseUrl, 'admin');
    const audit = await getJson<{ entries: { action: string; user: string; target: string; note: string }[] }>(`${system.baseUrl}/api/audit?action=device_test`, admin);
    expect(audit.body.entries[0]).toMatchObject({ action: 'device_test', user: 'operator', target: DEVICE, note: 'accepted' });
  });

  it('answers another cell\'s grid worker 404 like an unknown device, and lets the cell\'s own read it', async () => {
    const [own, other] = await Promise.all([login(system.baseUrl, OWN_WORKER), login(system.baseUrl, OTHER_WORKER)]);
    expect((await activity(own)).status).toBe(200);
    const theirs = await activity(other);
    expect(theirs.status).toBe(404);
    const unknown = await activity(other, 'no-such-device');
    expect(unknown.status).toBe(404);
    expect((theirs.body as unknown as { error: { code: string } }).error.code).toBe((unknown.body as unknown as { error: { code: string } }).error.code);
    const test = await sendJson(`${system.baseUrl}/api/devices/${DEVICE}/test-reading`, {}, other);
    expect(test.status).toBe(403); // grid workers may not send test readings at all
  });

  it('refuses a viewer the test button (403), and a camera (409)', async () => {
    const res = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/devices/${DEVICE}/test-reading`, {}, viewer);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CG_FORBIDDEN');
    const camera = system.city.devices.find((d) => d.kind === 'camera')!;
    const cam = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/devices/${camera.id}/test-reading`, {}, operator);
    expect(cam.status).toBe(409);
    expect(cam.body.error.code).toBe('CG_TEST_READING_UNAVAILABLE');
  });
});
