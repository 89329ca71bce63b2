// Proves the broker's access control for devices: one cannot publish as another, cannot subscribe
// beyond its own rejections topic, and cannot take over another device's or the server's MQTT client
// id to kick it off (or to read the server's queued session); a device may take its own id back.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CityBroker } from '@citygrid/broker';
import { deviceTopic, SERVER_CLIENT_ID, type Rejection } from '@citygrid/contract';
import { startEdgeWithServer, type TestEdge } from '../helpers/edge.js';
import { DEMO_CITY, connectDevice, end, publish, subscribe, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'access-control-service-password' };
let broker: CityBroker;
let url: string;
let server: MqttClient;
const reports: Rejection[] = [];
const open: MqttClient[] = [];

async function device(id: string, clientId: string, clean = true): Promise<MqttClient> {
  const c = await connectDevice(url, id, undefined, { clientId, clean });
  open.push(c);
  return c;
}
const refusedCode = (id: string, clientId: string) => connectDevice(url, id, undefined, { clientId }).then(
  (c) => { open.push(c); return 'connected'; },
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

describe('a device', () => {
  it("cannot publish under another device's id: refused as foreign_topic, never delivered", async () => {
    const got: string[] = [];
    await subscribe(server, deviceTopic('wl-0002', 'telemetry'));
    server.on('message', (t, p) => { if (t === deviceTopic('wl-0002', 'telemetry')) got.push(p.toString()); });
    const a = await device('wl-0001', 'ac-wl-0001');
    await publish(a, deviceTopic('wl-0002', 'telemetry'), '{"metrics":{"level_cm":1}}');
    await waitFor(() => reports.some((r) => r.device === 'wl-0001' && r.reason === 'foreign_topic'), 'the foreign_topic report');
    // the control: wl-0002's own reading on that topic, published after, reaches the watcher (which
    // gets the topic's messages in order); the forged one, had it gone through, would be before it
    const owner = await device('wl-0002', 'ac-wl-0002');
    await publish(owner, deviceTopic('wl-0002', 'telemetry'), '{"metrics":{"level_cm":2}}');
    await waitFor(() => got.length > 0, "wl-0002's own reading at the watcher");
    expect(got).toEqual(['{"metrics":{"level_cm":2}}']);
  });

  it('cannot subscribe to anything but its own rejections topic', async () => {
    const a = await device('wl-0003', 'ac-wl-0003');
    await expect(subscribe(a, 'city/v1/devices/+/telemetry')).rejects.toThrow(/refused|Subscribe error/); // SUBACK 0x80
    await expect(subscribe(a, deviceTopic('wl-0004', 'rejections'))).rejects.toThrow(/refused|Subscribe error/); // SUBACK 0x80
    await expect(subscribe(a, '#')).rejects.toThrow(/refused|Subscribe error/); // SUBACK 0x80
    await subscribe(a, deviceTopic('wl-0003', 'rejections'));
  });

  it("cannot take another device's client id: refused (not authorised), and the owner stays connected", async () => {
    const owner = await device('wl-0005', 'shared-gateway-7', false);
    let ownerClosed = false;
    owner.on('close', () => { ownerClosed = true; });
    expect(await refusedCode('wl-0006', 'shared-gateway-7')).toBe(5);
    await waitFor(() => reports.some((r) => r.reason === 'client_id_taken' && r.device === 'wl-0006'), 'the client_id_taken report');
    expect(reports.find((r) => r.reason === 'client_id_taken')!.message).toContain('is in use by another client');
    // the owner's connection still works: a QoS 1 publish after the attempt is acknowledged over it
    // (a connection the broker had dropped would have closed first, and never see the PUBACK)
    await publish(owner, deviceTopic('wl-0005', 'telemetry'), '{"metrics":{"level_cm":3}}');
    expect(ownerClosed).toBe(false);
    expect(owner.connected).toBe(true);
  });

  it("cannot take the server's client id, which is reserved by name (tests/integration/edge-client-ids.test.ts: while the server is away too)", async () => {
    expect(await refusedCode('wl-0007', SERVER_CLIENT_ID)).toBe(5);
    await waitFor(() => reports.some((r) => r.reason === 'client_id_taken' && r.device === 'wl-0007'), 'the report');
  });

  it('may take its own client id back (a reconnect after a dropped link), and a clean session frees it', async () => {
    const first = await device('wl-0008', 'ac-wl-0008');
    const closed = new Promise<void>((r) => first.once('close', () => r()));
    const second = await device('wl-0008', 'ac-wl-0008');
    await closed; // MQTT's takeover: the old connection is closed
    expect(second.connected).toBe(true);
    await end(second);
    // clean session over: the id is free (once the broker has seen the disconnect)
    await waitFor(async () => (await refusedCode('wl-0009', 'ac-wl-0008')) === 'connected', 'the client id free for another device');
  });
});
