// Proves MQTT over WebSockets on the HTTP port at /mqtt (embedded broker, `npm start`): a device
// connected with mqtt.js over ws:// has its reading stored (read back through the API) while a
// Socket.IO client on the same port gets it live; a wrong password is refused with CONNACK 4; a
// WebSocket whose one message announces an MQTT packet of 256 MiB, and one whose message is over the
// WebSocket limit, are both closed, and the server carries on; so is one sending more than 64 KiB
// before authenticating, in a message not yet complete; behind a trusted proxy (TRUST_PROXY)
// the per-address connection rate and the auth timeout apply to the forwarded address; with
// MQTT_WS=0 an upgrade to /mqtt is refused.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deviceTopic, type ReadingSeries } from '@citygrid/contract';
import { CONNECT, connectPacket, header } from '../helpers/raw-mqtt.js';
import { connectDevice, connectSocket, end, getJson, login, publish, readMetrics, startTestSystem, waitFor, type CitySocket } from '../helpers/system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;
const DEVICE = 'wl-0011';
const wsUrl = (system: System) => `ws://127.0.0.1:${system.httpPort}/mqtt`;

interface Opened { ws: WebSocket; closed: Promise<{ code: number }> }

/** A bare WebSocket to /mqtt with the `mqtt` subprotocol; rejects if the upgrade is refused. */
function rawWebSocket(url: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((res, rej) => {
    const ws = new WebSocket(url, 'mqtt', { headers });
    const closed = new Promise<{ code: number }>((done) => ws.once('close', (code) => done({ code })));
    ws.on('error', () => undefined); // the close is what is looked at
    ws.once('open', () => res({ ws, closed }));
    ws.once('unexpected-response', (_req, response) => rej(new Error(`upgrade answered ${response.statusCode}`)));
    ws.once('close', () => rej(new Error('closed before it opened')));
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms))]);

describe('MQTT over WebSockets (MQTT_WS on, the default)', () => {
  let system: System;
  let viewer = '';
  const clients: MqttClient[] = [];
  const sockets: CitySocket[] = [];

  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0' });
    viewer = await login(system.baseUrl, 'viewer');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    // stopped with MQTT-over-WS clients still connected: the HTTP server's close waits for every
    // connection, so the WebSocket edge must end them first
    if (system) await within(system.stop(), 10_000, 'stop() with MQTT-over-WebSocket clients connected');
    clients.forEach((c) => c.end(true));
  });

  it('stores a reading a device sends over ws://<http port>/mqtt, while Socket.IO on the same port gets it live', async () => {
    const device = await connectDevice(wsUrl(system), DEVICE);
    clients.push(device);
    // a second MQTT-over-WS client stays connected meanwhile
    clients.push(await connectDevice(wsUrl(system), 'wl-0012'));
    const socket = await connectSocket(system.baseUrl, viewer);
    sockets.push(socket);
    const live = new Promise<unknown>((res) => socket.on('reading', (e) => { if (e.device === DEVICE && e.metrics.level_cm === 42.5) res(e); }));

    const ts = Date.now() - 1000;
    await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts, metrics: { level_cm: 42.5 } }));
    await within(live, 10_000, 'the reading on the Socket.IO feed');

    const series = await waitFor(async () => {
      const res = await getJson<{ series: ReadingSeries[] }>(`${system.baseUrl}/api/devices/${DEVICE}/readings?from=${ts - 60_000}&to=${ts + 60_000}`, viewer);
      const level = res.body.series?.find((s) => s.metric === 'level_cm');
      return level && level.points.length > 0 ? level : null;
    }, 'the reading stored and served by the API');
    expect(JSON.stringify(series.points)).toContain('42.5');
    expect(socket.connected).toBe(true);
  });

  it('refuses a wrong password with CONNACK 4 (bad username or password)', async () => {
    const err = await connectDevice(wsUrl(system), 'wl-0013', 'not-the-password').then(() => null, (e: Error & { code?: number }) => e);
    expect(err, 'the connection was accepted').not.toBeNull();
    expect(err!.code).toBe(4);
  });

  it('closes a WebSocket whose message announces a 256 MiB packet, and one whose message is over the WebSocket limit; the server stays up', async () => {
    const tooLarge = async () => (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'packet_too_large' });
    const before = await tooLarge();
    // one message: a CONNECT fixed header announcing 256 MiB - 1, and a few bytes of it
    const announcing = await rawWebSocket(wsUrl(system));
    announcing.ws.send(Buffer.concat([header(CONNECT, 268_435_455), Buffer.alloc(64, 0x41)]));
    await within(announcing.closed, 5_000, 'the announcing WebSocket closed');
    expect(await tooLarge(), 'closed by the edge guard at the packet header').toBe(before + 1);

    // a message of 1 MiB, over the WebSocket server's maxPayload (one packet of the largest size)
    const huge = await rawWebSocket(wsUrl(system));
    huge.ws.send(Buffer.concat([header(CONNECT, 1024 * 1024 - 5), Buffer.alloc(1024 * 1024 - 5, 0x41)]));
    const { code } = await within(huge.closed, 5_000, 'the WebSocket with a message over the limit closed');
    expect([1009, 1006]).toContain(code); // 1009: message too big (1006 if the close frame is lost to the reset)
    expect(await tooLarge(), 'closed by the WebSocket limit (maxPayload), before the guard saw the message').toBe(before + 1);

    // the server is up: health answers, and a device still connects over WebSockets and publishes
    expect((await fetch(`${system.baseUrl}/api/health`)).status).toBe(200);
    const device = await connectDevice(wsUrl(system), 'wl-0014');
    clients.push(device);
    await publish(device, deviceTopic('wl-0014', 'telemetry'), JSON.stringify({ ts: Date.now(), metrics: { level_cm: 3 } }));
  });

  it('closes a WebSocket that sends more than 64 KiB before authenticating, even inside one message still arriving', async () => {
    const preauth = async () => (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'preauth_bytes' });
    const before = await preauth();
    const { ws, closed } = await rawWebSocket(wsUrl(system));
    // a binary frame announcing 100 KiB (under maxPayload, so ws would buffer it whole), of which 80 KiB are sent
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(100n * 1024n);
    const frameHeader = Buffer.concat([Buffer.from([0x82, 0x80 | 127]), length, Buffer.alloc(4)]); // masked with a zero key
    (ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.concat([frameHeader, Buffer.alloc(80 * 1024)]));
    await within(closed, 3_000, 'the WebSocket closed before its message was complete');
    expect(await preauth()).toBe(before + 1);
  });

  it('takes a well-formed CONNECT written by hand over a bare WebSocket (the MQTT bytes, nothing more)', async () => {
    const { ws, closed } = await rawWebSocket(wsUrl(system));
    expect(ws.protocol).toBe('mqtt');
    // aedes may write a packet in more than one WebSocket message: collected until the CONNACK's 4 bytes
    let got = Buffer.alloc(0);
    const connack = new Promise<Buffer>((res) => ws.on('message', (data: Buffer) => {
      got = Buffer.concat([got, data]);
      if (got.length >= 4) res(got);
    }));
    ws.send(connectPacket({ clientId: 'wl-0015/raw', username: 'wl-0015', password: 'demo-wl-0015' }));
    const packet = await within(connack, 5_000, 'a CONNACK');
    expect([...packet]).toEqual([0x20, 2, 0, 0]); // CONNACK, accepted
    ws.close();
    await closed;
  });
});

describe('MQTT_WS=0', () => {
  let system: System;
  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0', MQTT_WS: '0' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('refuses an upgrade to /mqtt; Socket.IO and MQTT over TCP still work', async () => {
    await expect(rawWebSocket(wsUrl(system))).rejects.toThrow();
    await expect(connectDevice(wsUrl(system), DEVICE)).rejects.toThrow();
    const socket = await connectSocket(system.baseUrl, await login(system.baseUrl, 'viewer'));
    socket.close();
    const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, DEVICE);
    await end(device);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=1): the edge limits apply to the forwarded address', () => {
  let system: System;
  beforeAll(async () => {
    // 2 connections per address, refilled slowly; 1 s to authenticate
    system = await startTestSystem({ SIMULATE: '0', TRUST_PROXY: '1', MQTT_CONNECT_RATE: '0.01', MQTT_CONNECT_BURST: '2', MQTT_AUTH_TIMEOUT: '1s' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('closes a third connection from one forwarded address at once, and silent ones after the auth timeout; another address connects', async () => {
    const closedFor = async (reason: string) => (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason });
    const from = { 'x-forwarded-for': '203.0.113.9' };
    const silent = [await rawWebSocket(wsUrl(system), from), await rawWebSocket(wsUrl(system), from)];
    const third = rawWebSocket(wsUrl(system), from).then((o) => o.closed, () => ({ code: 0 }));
    await within(third, 500, 'the third connection from 203.0.113.9 closed at once');
    expect(await closedFor('address_rate')).toBe(1);
    // the two that never sent a CONNECT: closed by the auth timeout
    await within(Promise.all(silent.map((o) => o.closed)), 5_000, 'the silent connections closed');
    expect(await closedFor('auth_timeout')).toBe(2);
    // another address (and its device) is not held back
    const device = await connectDevice(wsUrl(system), DEVICE, undefined, { wsOptions: { headers: { 'x-forwarded-for': '203.0.113.10' } } });
    await end(device);
  });
});

describe('behind a trusted proxy (TRUST_PROXY=1): failed logins back off the forwarded address only', () => {
  let system: System;
  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('refuses a good login from an address that failed too often (CONNACK 3), and takes one from another address', async () => {
    const via = (address: string) => ({ wsOptions: { headers: { 'x-forwarded-for': address } } });
    for (let i = 0; i < 8; i++) await expect(connectDevice(wsUrl(system), 'wl-0016', 'wrong', via('203.0.113.20'))).rejects.toThrow();
    const backedOff = await connectDevice(wsUrl(system), 'wl-0016', undefined, via('203.0.113.20')).then(() => null, (e: Error & { code?: number }) => e);
    expect(backedOff?.code, 'a good login from the backed-off address').toBe(3);
    const other = await connectDevice(wsUrl(system), 'wl-0016', undefined, via('203.0.113.21'));
    await end(other);
  });
});
