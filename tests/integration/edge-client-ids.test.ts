// Proves client ids are tied to identities: a device cannot squat another device's (public) id or the server's, a takeover by the same device over a half-open link keeps its claim, and the service account may use only its reserved id, publish only refusal reports to devices and subscribe only to what the server subscribes to.
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import { SERVER_CLIENT_ID, deviceTopic, type Rejection } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { startEdgeWithServer, type TestEdge } from '../helpers/edge.js';
import { DEMO_CITY, connectDevice, end, nextMessage, publish, subscribe, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'edge-client-ids-service-password' };
const devices = loadCity(DEMO_CITY).devicesById;
let broker: CityBroker;
let url: string;
let server: MqttClient;
const reports: Rejection[] = [];
const open: MqttClient[] = [];

async function connect(id: string, clientId: string, extra: Parameters<typeof connectDevice>[3] = {}, password?: string): Promise<MqttClient> {
  const c = await connectDevice(url, id, password, { clientId, ...extra });
  open.push(c);
  return c;
}
/** 'connected', or the CONNACK return code of the refusal. */
const outcome = (id: string, clientId: string, extra: Parameters<typeof connectDevice>[3] = {}, password?: string, at = url) =>
  connectDevice(at, id, password, { clientId, ...extra }).then(
    (c) => { open.push(c); return 'connected' as const; },
    (err: Error & { code?: number }) => err.code ?? err.message,
  );

let edge: TestEdge;
beforeAll(async () => {
  edge = await startEdgeWithServer(SERVICE, reports);
  ({ broker, url, server } = edge);
});
afterAll(async () => {
  await Promise.all(open.map((c) => end(c)));
  await edge?.close();
});

describe("a device and another device's client id", () => {
  it("is refused when it connects with another device's id (persistent session or not), and the real device then connects", async () => {
    // the reproduction: mosquitto_pub -u wl-0002 -P demo-wl-0002 -i wl-0001 --disable-clean-session
    expect(await outcome('wl-0002', 'wl-0001', { clean: false })).toBe(5);
    expect(await outcome('wl-0002', 'wl-0001/backup')).toBe(5);
    await waitFor(() => reports.some((r) => r.device === 'wl-0002' && r.reason === 'client_id_taken'), 'the client_id_taken report');
    expect(reports.find((r) => r.device === 'wl-0002' && r.reason === 'client_id_taken')!.message).toMatch(/belongs to device "wl-0001"/);
    // the owner connects with its own id, and with <id>/<suffix>
    expect(await outcome('wl-0001', 'wl-0001', { clean: false })).toBe('connected');
    expect(await outcome('wl-0001', 'wl-0001/backup')).toBe('connected');
  });

  it("keeps its claim when it reconnects over a half-open link: another device still cannot take the id, and a third connection of its own works", async () => {
    const first = await connect('wl-0005', 'edge-gateway-7');
    const firstClosed = new Promise<void>((r) => first.once('close', () => r()));
    // the link is half-open: the device does not know and connects again; the broker closes the old one
    const second = await connect('wl-0005', 'edge-gateway-7');
    await firstClosed;
    expect(second.connected).toBe(true);
    // the old connection's close must not have released the id
    expect(await outcome('wl-0006', 'edge-gateway-7')).toBe(5);
    expect(second.connected).toBe(true);
    await publish(second, deviceTopic('wl-0005', 'telemetry'), '{"metrics":{"level_cm":4}}'); // acknowledged over the live one
    // the control: the same device connects a third time with it
    expect(await outcome('wl-0005', 'edge-gateway-7')).toBe('connected');
  });
});

describe('the service account', () => {
  it('may use only its reserved client id, and no one else may use that id', async () => {
    expect(await outcome(SERVICE.username, 'edge-watcher', {}, SERVICE.password)).toBe(5);
    expect(await outcome('wl-0007', SERVER_CLIENT_ID)).toBe(5);
    // anonymous development clients neither; and the server's id is reserved while the server is away
    // (on this broker it never connected)
    const dev = await createBroker({ port: 0, host: '127.0.0.1', devices, service: SERVICE, allowAnonymous: true, logger: pino({ level: 'silent' }) });
    try {
      const devUrl = `mqtt://127.0.0.1:${dev.port}`;
      const anon = (clientId: string) => connectDevice(devUrl, '', undefined, { clientId, username: undefined, password: undefined }).then(
        (c) => { open.push(c); return 'connected' as const; }, (err: Error & { code?: number }) => err.code ?? err.message);
      expect(await anon(SERVER_CLIENT_ID)).toBe(5);
      expect(await anon('wl-0001')).toBe(5);
      expect(await outcome('wl-0008', SERVER_CLIENT_ID, {}, undefined, devUrl)).toBe(5);
      expect(await anon('edge-anonymous-tool')).toBe('connected'); // the controls
      expect(await outcome('wl-0008', 'wl-0008', {}, undefined, devUrl)).toBe('connected');
    } finally {
      await dev.close();
    }
  });

  it("may publish only devices' rejections topics: a forged reading is not delivered, a refusal report is", async () => {
    const got: string[] = [];
    await subscribe(server, deviceTopic('wl-0003', 'telemetry'));
    server.on('message', (t, p) => { if (t === deviceTopic('wl-0003', 'telemetry')) got.push(p.toString()); });
    await publish(server, deviceTopic('wl-0003', 'telemetry'), '{"metrics":{"level_cm":99}}');
    const owner = await connect('wl-0003', 'wl-0003');
    await subscribe(owner, deviceTopic('wl-0003', 'rejections'));
    await publish(owner, deviceTopic('wl-0003', 'telemetry'), '{"metrics":{"level_cm":3}}');
    await waitFor(() => got.length > 0, "wl-0003's own reading");
    expect(got).toEqual(['{"metrics":{"level_cm":3}}']);
    // what the server does publish: a refusal report to the device
    const report = nextMessage(owner, deviceTopic('wl-0003', 'rejections'));
    await publish(server, deviceTopic('wl-0003', 'rejections'), '{"reason":"out_of_range"}', 0);
    expect(await report).toBe('{"reason":"out_of_range"}');
  });

  it('may subscribe only to what the server subscribes to (or narrower)', async () => {
    await expect(subscribe(server, '#')).rejects.toThrow(/refused|Subscribe error/);
    await expect(subscribe(server, 'city/v1/devices/+/rejections')).rejects.toThrow(/refused|Subscribe error/);
    await expect(subscribe(server, 'city/v1/devices/#')).rejects.toThrow(/refused|Subscribe error/);
    await subscribe(server, 'city/v1/devices/+/status');
    await subscribe(server, deviceTopic('wl-0004', 'event'));
  });
});
