// Proves the broker's TCP edge bounds what a connection costs before it is authenticated: a header announcing more than the contract allows closes it (after sign-in too), a connection must authenticate within its time, pending connections and new connections per address are capped, and loopback (the server's own ingest) is never throttled by default.
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, type BrokerOptions, type CityBroker, type EdgeRefusal } from '@citygrid/broker';
import { BROKER_REJECTIONS_TOPIC, MAX_PAYLOAD_BYTES, deviceTopic, type Rejection } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { CONNECT, PUBLISH, connackCode, connectPacket, header, pour, rawConnection } from '../helpers/raw-mqtt.js';
import { DEMO_CITY, connectDevice, end, publish, subscribe, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'edge-preauth-service-password' };
const devices = loadCity(DEMO_CITY).devicesById;
let broker: CityBroker | undefined;
const open: MqttClient[] = [];

async function start(extra: Partial<BrokerOptions> = {}): Promise<{ broker: CityBroker; url: string }> {
  broker = await createBroker({ port: 0, host: '127.0.0.1', devices, service: SERVICE, allowAnonymous: false, logger: pino({ level: 'silent' }), ...extra });
  return { broker, url: `mqtt://127.0.0.1:${broker.port}` };
}
async function device(url: string, id: string, extra: Parameters<typeof connectDevice>[3] = {}): Promise<MqttClient> {
  const c = await connectDevice(url, id, undefined, extra);
  open.push(c);
  return c;
}
/** A device login by hand: its CONNACK return code, or 'closed' when the broker closed without one. */
async function attempt(port: number, id: string, localAddress = '127.0.0.1'): Promise<number | 'closed'> {
  const c = await rawConnection(port, { localAddress }).catch(() => null);
  if (!c) return 'closed';
  c.socket.write(connectPacket({ clientId: id, username: id, password: `demo-${id}` }));
  await waitFor(() => connackCode(c.received()) !== null || c.isClosed(), 'a CONNACK or the close');
  c.socket.destroy();
  return connackCode(c.received()) ?? 'closed';
}
const closedCount = (b: CityBroker, why: EdgeRefusal): number => b.stats.connectionsClosed[why];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => end(c)));
  await broker?.close();
  broker = undefined;
});

describe('packet size at the header', () => {
  it('closes a signed-in device whose PUBLISH header announces 256 MiB; a 70 KiB payload is still refused with a reason and the connection kept', async () => {
    const { broker: b, url } = await start();
    const watcher = await connectDevice(url, SERVICE.username, SERVICE.password, { clientId: 'citygrid-server' });
    open.push(watcher);
    const reports: Rejection[] = [];
    await subscribe(watcher, BROKER_REJECTIONS_TOPIC);
    watcher.on('message', (_t, p) => reports.push(JSON.parse(p.toString()) as Rejection));

    // the control: over the payload limit but under the packet limit: refused as payload_too_large, connection kept
    const polite = await device(url, 'wl-0012');
    await publish(polite, deviceTopic('wl-0012', 'telemetry'), Buffer.alloc(70 * 1024, 0x20));
    await waitFor(() => reports.some((r) => r.device === 'wl-0012' && r.reason === 'payload_too_large'), 'the payload_too_large report');
    await publish(polite, deviceTopic('wl-0012', 'telemetry'), '{"metrics":{"level_cm":1}}');
    expect(polite.connected).toBe(true);

    // by hand: sign in as wl-0013, then a PUBLISH header announcing 256 MiB - 1 and 1 MB after it
    const c = await rawConnection(b.port);
    c.socket.write(connectPacket({ clientId: 'wl-0013', username: 'wl-0013', password: 'demo-wl-0013' }));
    await waitFor(() => c.received().length >= 4, 'the CONNACK');
    expect([...c.received().subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
    c.socket.write(header(PUBLISH, 268_435_455));
    await pour(c.socket, Buffer.alloc(64 * 1024), 1024 * 1024);
    await waitFor(() => c.isClosed(), 'the connection closed', 30_000);
    expect(closedCount(b, 'packet_too_large')).toBe(1);
    // signed in, the device is told why (on its rejections topic, and the server in its log)
    await waitFor(() => reports.some((r) => r.device === 'wl-0013' && r.reason === 'payload_too_large' && r.message.includes('connection was closed')), 'the report naming wl-0013');
    expect(polite.connected).toBe(true);
  });

  it('closes a connection whose CONNECT announces more than a connection may send before it is authenticated', async () => {
    const { broker: b } = await start();
    const c = await rawConnection(b.port);
    c.socket.write(header(CONNECT, MAX_PAYLOAD_BYTES + 4096)); // under the packet limit, over what a CONNECT may be
    await waitFor(() => c.isClosed(), 'the connection closed', 30_000);
    expect(closedCount(b, 'preauth_bytes')).toBe(1);
    expect(closedCount(b, 'packet_too_large')).toBe(0);
  });
});

describe('time and numbers before authentication', () => {
  it('closes a connection that has not authenticated within its time; one that signed in meanwhile stays', async () => {
    const { broker: b, url } = await start({ limits: { authTimeoutMs: 1000 } });
    const silent = await rawConnection(b.port);
    const partial = await rawConnection(b.port);
    partial.socket.write(connectPacket({ clientId: 'wl-0014', username: 'wl-0014', password: 'demo-wl-0014' }).subarray(0, 10)); // a CONNECT that never ends
    const signedIn = await device(url, 'wl-0015');
    await waitFor(() => silent.isClosed() && partial.isClosed(), 'both unauthenticated connections closed', 30_000);
    expect(closedCount(b, 'auth_timeout')).toBe(2);
    // the control: the device that authenticated at the same time is still served
    await publish(signedIn, deviceTopic('wl-0015', 'telemetry'), '{"metrics":{"level_cm":2}}');
    expect(signedIn.connected).toBe(true);
  });

  it('caps connections pending authentication at once: the next is closed until one of them is gone', async () => {
    const { broker: b } = await start({ limits: { maxPending: 3, throttleLoopback: true } });
    const pending = await Promise.all([1, 2, 3].map(() => rawConnection(b.port)));
    const fourth = await rawConnection(b.port);
    await waitFor(() => fourth.isClosed(), 'the fourth pending connection closed', 30_000);
    expect(closedCount(b, 'pending_limit')).toBe(1);
    expect(pending.some((p) => p.isClosed())).toBe(false);
    expect(await attempt(b.port, 'wl-0016')).toBe('closed');
    // the control: once the three are gone, a device connects
    for (const p of pending) p.socket.destroy();
    await waitFor(async () => (await attempt(b.port, 'wl-0016')) === 0, 'wl-0016 let in once the pending ones left');
  });

  it('caps new connections per address (token bucket); another address is not affected', async () => {
    const { url } = await start({ limits: { connectRate: { perSecond: 0.01, burst: 3 }, throttleLoopback: true } });
    for (const id of ['wl-0017', 'wl-0018', 'wl-0019']) await device(url, id);
    expect(await attempt(broker!.port, 'wl-0020')).toBe('closed');
    expect(closedCount(broker!, 'address_rate')).toBe(1);
    // the control: the same device from another loopback address
    expect(await attempt(broker!.port, 'wl-0020', '127.0.0.2')).toBe(0);
  });

  it('never throttles loopback by default (the embedded server and simulator connect from there)', async () => {
    const { url } = await start();
    const ids = [...devices.keys()].slice(0, 80);
    const clients = await Promise.all(ids.map((id) => device(url, id)));
    expect(clients.every((c) => c.connected)).toBe(true);
    expect(Object.values(broker!.stats.connectionsClosed).reduce((s, n) => s + n, 0)).toBe(0);
  });
});
