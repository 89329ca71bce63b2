// Proves gateways (devices.yaml children:, the demo city's sl-0001 for bin-0010, bin-0029, bin-0043):
// what a gateway publishes on city/v1/gateways/{gateway}/devices/{child}/telemetry is stored as each
// child's and served under it by GET /api/devices/:id/readings; for a device not its child it is
// refused (foreign_child, counted, nothing stored) and the gateway is told on its own rejections
// topic, as it is of a child's payload the server refuses; a child connected by itself still works;
// the simulator's gateway mode publishes the children's readings through the gateway's one
// connection; and the server attached to an external broker (MQTT_URL) takes the gateway topics too.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, gatewayTopic, type DeviceView, type RawPoint, type Rejection, type RejectionsResponse, type ReadingSeries } from '@citygrid/contract';
import { startSimulator, type Simulator } from '@citygrid/simulators';
import { connectDevice, end, getJson, login, nextMessage, publish, readMetrics, startTestSystem, subscribe, tempDir, waitFor } from '../helpers/system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;
const GATEWAY = 'sl-0001';
const [CHILD_A, CHILD_B, CHILD_C] = ['bin-0010', 'bin-0029', 'bin-0043'];
const STRANGER = 'bin-0001'; // a waste bin, but not sl-0001's child

/** The readings of one device's metric between from and to, as the API serves them. */
async function readings(system: System, token: string, device: string, metric: string, from: number, to: number): Promise<RawPoint[]> {
  const res = await getJson<{ series: ReadingSeries[] }>(`${system.baseUrl}/api/devices/${device}/readings?metric=${metric}&from=${from}&to=${to}`, token);
  return (res.body.series?.find((s) => s.metric === metric)?.points ?? []) as RawPoint[];
}

describe('gateways, embedded broker', () => {
  let system: System;
  let viewer = '';
  const clients: MqttClient[] = [];
  let sim: Simulator | null = null;

  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0' });
    viewer = await login(system.baseUrl, 'admin');
  });
  afterAll(async () => {
    await sim?.stop();
    await Promise.all(clients.map((c) => end(c)));
    await system?.stop();
  });

  it('the demo city declares the gateway and its children', () => {
    expect(system.city.devicesById.get(GATEWAY)!.children).toEqual([CHILD_A, CHILD_B, CHILD_C]);
    for (const child of [CHILD_A, CHILD_B, CHILD_C]) expect(system.city.devicesById.get(child)!.gateway).toBe(GATEWAY);
    expect(system.city.devicesById.get(STRANGER)!.gateway).toBeUndefined();
  });

  it("stores what a gateway publishes for two children under each child, not under the gateway", async () => {
    const gw = await connectDevice(system.mqttUrl, GATEWAY);
    clients.push(gw);
    const ts = Date.now() - 5_000;
    await publish(gw, gatewayTopic(GATEWAY, CHILD_A, 'telemetry'), JSON.stringify({ ts, metrics: { fill_pct: 41 }, seq: 1 }));
    // a batch, as gateways send them
    await publish(gw, gatewayTopic(GATEWAY, CHILD_B, 'telemetry'), JSON.stringify([{ ts, metrics: { fill_pct: 52 } }, { ts: ts + 1, metrics: { fill_pct: 53 } }]));
    const a = await waitFor(async () => { const p = await readings(system, viewer, CHILD_A, 'fill_pct', ts - 1000, ts + 1000); return p.length ? p : null; }, `${CHILD_A}'s reading`);
    const b = await waitFor(async () => { const p = await readings(system, viewer, CHILD_B, 'fill_pct', ts - 1000, ts + 1000); return p.length === 2 ? p : null; }, `${CHILD_B}'s two readings`);
    expect(a.map((p) => p.value)).toEqual([41]);
    expect(b.map((p) => p.value)).toEqual([52, 53]);
    // the child shows online with its latest value; the gateway has no fill_pct of its own
    const child = await getJson<DeviceView>(`${system.baseUrl}/api/devices/${CHILD_B}`, viewer);
    expect(child.body).toMatchObject({ online: true, latest: { fill_pct: { value: 53 } } });
    const gateway = await getJson<DeviceView>(`${system.baseUrl}/api/devices/${GATEWAY}`, viewer);
    expect(gateway.body.latest.fill_pct).toBeUndefined();
  });

  it('refuses a device that is not its child: foreign_child, counted, nothing stored, the gateway told', async () => {
    const gw = await connectDevice(system.mqttUrl, GATEWAY);
    clients.push(gw);
    await subscribe(gw, deviceTopic(GATEWAY, 'rejections'));
    const before = (await readMetrics(system.baseUrl))('citygrid_messages_rejected_total', { reason: 'foreign_child' });
    const told = nextMessage(gw, deviceTopic(GATEWAY, 'rejections'), (p) => p.includes('foreign_child'));
    const ts = Date.now() - 4_000;
    await publish(gw, gatewayTopic(GATEWAY, STRANGER, 'telemetry'), JSON.stringify({ ts, metrics: { fill_pct: 99 } }));
    const rejection = JSON.parse(await told) as Rejection;
    expect(rejection).toMatchObject({ device: GATEWAY, reason: 'foreign_child', by: 'broker', topic: gatewayTopic(GATEWAY, STRANGER, 'telemetry') });
    expect(rejection.message).toContain(`"${STRANGER}" is not a child of gateway "${GATEWAY}"`);
    const listed = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?reason=foreign_child`, viewer);
    expect(listed.body.items.some((r) => r.device === GATEWAY && r.topic?.includes(STRANGER))).toBe(true);
    expect((await readMetrics(system.baseUrl))('citygrid_messages_rejected_total', { reason: 'foreign_child' })).toBe(before + 1);
    // a later reading of the gateway's own child goes through, and nothing was stored for the stranger
    await publish(gw, gatewayTopic(GATEWAY, CHILD_A, 'telemetry'), JSON.stringify({ ts: ts + 10, metrics: { fill_pct: 12 } }));
    await waitFor(async () => (await readings(system, viewer, CHILD_A, 'fill_pct', ts, ts + 100)).length === 1, 'the child\'s reading after the refusal');
    expect(await readings(system, viewer, STRANGER, 'fill_pct', ts - 1000, ts + 1000)).toEqual([]);
  });

  it("tells the gateway when the server refuses a child's payload, naming the child", async () => {
    const gw = await connectDevice(system.mqttUrl, GATEWAY);
    clients.push(gw);
    await subscribe(gw, deviceTopic(GATEWAY, 'rejections'));
    const told = nextMessage(gw, deviceTopic(GATEWAY, 'rejections'), (p) => p.includes('unknown_metric'));
    await publish(gw, gatewayTopic(GATEWAY, CHILD_A, 'telemetry'), JSON.stringify({ metrics: { level_cm: 3 } })); // a waste bin has no level_cm
    expect(JSON.parse(await told)).toMatchObject({ device: CHILD_A, gateway: GATEWAY, reason: 'unknown_metric' });
    const listed = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=${CHILD_A}&reason=unknown_metric`, viewer);
    expect(listed.body.items[0]).toMatchObject({ device: CHILD_A, gateway: GATEWAY });
  });

  it('a child connected by itself still publishes as before, beside its gateway', async () => {
    const child = await connectDevice(system.mqttUrl, CHILD_C);
    clients.push(child);
    const ts = Date.now() - 3_000;
    await publish(child, deviceTopic(CHILD_C, 'telemetry'), JSON.stringify({ ts, metrics: { fill_pct: 77 } }));
    const gw = await connectDevice(system.mqttUrl, GATEWAY);
    clients.push(gw);
    await publish(gw, gatewayTopic(GATEWAY, CHILD_C, 'telemetry'), JSON.stringify({ ts: ts + 1, metrics: { fill_pct: 78 } }));
    const points = await waitFor(async () => { const p = await readings(system, viewer, CHILD_C, 'fill_pct', ts - 1000, ts + 1000); return p.length === 2 ? p : null; }, 'both readings of the child');
    expect(points.map((p) => p.value)).toEqual([77, 78]);
  });

  it("the simulator's gateway mode publishes the children's readings through the gateway's one connection", async () => {
    const from = Date.now();
    sim = startSimulator({ city: system.city, url: system.mqttUrl, devices: [CHILD_A, CHILD_B], gateways: [GATEWAY], intervalMs: 300, logger: pino({ level: 'silent' }) });
    await waitFor(async () => {
      const [a, b] = await Promise.all([readings(system, viewer, CHILD_A, 'fill_pct', from, Date.now() + 60_000), readings(system, viewer, CHILD_B, 'fill_pct', from, Date.now() + 60_000)]);
      return a.length >= 2 && b.length >= 2;
    }, 'simulated readings of both children', 20_000);
    // one connection (the gateway's), standing for three devices: itself and the two children
    expect(sim.stats()).toMatchObject({ devices: 3, connected: 3, connections: 1, errors: 0 });
    const gatewayOwn = await readings(system, viewer, GATEWAY, 'power_w', from, Date.now() + 60_000);
    expect(gatewayOwn.length).toBeGreaterThan(0); // the gateway reports its own readings too
    const refused = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=${CHILD_A}`, viewer);
    expect(refused.body.items.filter((r) => r.ts >= from)).toEqual([]);
    await sim.stop();
    sim = null;
  });
});

describe('gateways, server attached to an external broker (MQTT_URL)', () => {
  // a bare aedes with no hooks, as an external broker without CityGrid's ACLs: what reaches the server
  // is what the server subscribes to, and the server's own checks (acceptFromTopic) decide
  let aedes: Aedes;
  let listener: Server;
  let system: System;
  let gw: MqttClient;
  const data = tempDir();

  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    listener = createServer(aedes.handle);
    await new Promise<void>((res) => listener.listen(0, '127.0.0.1', res));
    const url = `mqtt://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    system = await startTestSystem({ MQTT_URL: url, MQTT_PASSWORD: 'anything', DATA_DIR: data.path, SIMULATE: '0' });
    gw = await connectDevice(url, GATEWAY);
    await subscribe(gw, deviceTopic(GATEWAY, 'rejections'));
  });
  afterAll(async () => {
    await end(gw);
    await system?.stop();
    await new Promise<void>((res) => aedes.close(() => res()));
    listener?.close();
    data.remove();
  });

  it("subscribes to the gateway topics: a child's reading is stored as the child's; refusals reach the gateway", async () => {
    const token = await login(system.baseUrl, 'admin');
    const ts = Date.now() - 2_000;
    await publish(gw, gatewayTopic(GATEWAY, CHILD_B, 'telemetry'), JSON.stringify({ ts, metrics: { fill_pct: 64 } }));
    const points = await waitFor(async () => { const p = await readings(system, token, CHILD_B, 'fill_pct', ts - 1000, ts + 1000); return p.length ? p : null; }, 'the child\'s reading through the external broker');
    expect(points.map((p) => p.value)).toEqual([64]);

    const outOfRange = nextMessage(gw, deviceTopic(GATEWAY, 'rejections'), (p) => p.includes('out_of_range'));
    await publish(gw, gatewayTopic(GATEWAY, CHILD_B, 'telemetry'), JSON.stringify({ metrics: { fill_pct: 1_000 } }));
    expect(JSON.parse(await outOfRange)).toMatchObject({ device: CHILD_B, gateway: GATEWAY, reason: 'out_of_range', by: 'server' });

    // no ACL at this broker: the server refuses a device that is not the gateway's child itself
    const foreign = nextMessage(gw, deviceTopic(GATEWAY, 'rejections'), (p) => p.includes('foreign_child'));
    await publish(gw, gatewayTopic(GATEWAY, STRANGER, 'telemetry'), JSON.stringify({ ts, metrics: { fill_pct: 5 } }));
    expect(JSON.parse(await foreign)).toMatchObject({ device: GATEWAY, reason: 'foreign_child', by: 'server' });
    expect(await readings(system, token, STRANGER, 'fill_pct', ts - 1000, ts + 1000)).toEqual([]);
  });
});
