// Proves persistent sessions and offline queues are bounded: a device keeps at most its cap of sessions (the least recently used go), refusal reports are not queued for absent devices (QoS 0), a session queue drops its oldest messages beyond its cap (counted), and idle sessions expire while connected ones and the server's do not.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, type BrokerLimitsInput, type CityBroker } from '@citygrid/broker';
import { SERVER_CLIENT_ID, SERVER_SUBSCRIPTIONS, deviceTopic } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, end, publish, subscribe, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'edge-sessions-service-password' };
const devices = loadCity(DEMO_CITY).devicesById;
let broker: CityBroker | undefined;
let url: string;
const open: MqttClient[] = [];

async function start(limits: BrokerLimitsInput = {}): Promise<CityBroker> {
  broker = await createBroker({ port: 0, host: '127.0.0.1', devices, service: SERVICE, allowAnonymous: false, logger: pino({ level: 'silent' }), limits });
  url = `mqtt://127.0.0.1:${broker.port}`;
  return broker;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => end(c)));
  await broker?.close();
  broker = undefined;
});

interface Session { c: MqttClient; present: boolean; got: { topic: string; payload: string }[] }
/** Connects and records every message from the first moment (queued ones arrive right after CONNACK). */
function session(id: string, clientId: string, extra: IClientOptions = {}, password = `demo-${id}`): Promise<Session> {
  return new Promise((res, rej) => {
    const got: Session['got'] = [];
    const c = mqtt.connect(url, { clientId, username: id, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    c.on('message', (topic, p) => got.push({ topic, payload: p.toString() }));
    c.once('connect', (ack) => { open.push(c); c.on('error', () => undefined); res({ c, present: ack.sessionPresent, got }); });
    c.once('error', (err) => { c.end(true); rej(err); });
  });
}

describe('persistent sessions of a device', () => {
  it('keeps at most 4; the least recently used go, and refusal reports are not queued for the absent ones', async () => {
    const b = await start();
    const id = 'wl-0021';
    for (let i = 0; i < 10; i++) {
      const s = await session(id, `${id}/s${i}`, { clean: false });
      await subscribe(s.c, deviceTopic(id, 'rejections'));
      await end(s.c);
    }
    // (a session beyond the cap evicts the least recently used one as it opens, before its CONNACK)
    // a refusal report for the device while its sessions are away; a live clean session of it hears it
    const live = await session(id, `${id}/live`);
    await subscribe(live.c, deviceTopic(id, 'rejections'));
    await publish(live.c, deviceTopic('wl-0022', 'telemetry'), '{"metrics":{"level_cm":1}}'); // foreign_topic
    await waitFor(() => live.got.length === 1, 'the report at the live session');
    // the newest session is still there, with nothing queued: a live report after the reconnect is its first message
    const kept = await session(id, `${id}/s9`, { clean: false });
    expect(kept.present).toBe(true);
    await publish(live.c, deviceTopic('wl-0022', 'telemetry'), '{"metrics":{"level_cm":2}}');
    await waitFor(() => kept.got.length >= 1 && live.got.length === 2, 'the second report at both');
    expect(kept.got.map((m) => m.topic)).toEqual([deviceTopic(id, 'rejections')]);
    expect(JSON.parse(kept.got[0]!.payload)).toMatchObject({ reason: 'foreign_topic', topic: deviceTopic('wl-0022', 'telemetry') });
    // the oldest one is gone
    const evicted = await session(id, `${id}/s0`, { clean: false });
    expect(evicted.present).toBe(false);
    expect(b.stats.sessionsEnded.evicted).toBe(7); // s0..s5 as s4..s9 opened, then one more for s0 now
  });
});

describe('offline queues', () => {
  it("drop their oldest messages beyond the cap, counted (here the server's own session, capped at 5)", async () => {
    const b = await start({ serverQueueMax: 5 });
    const device = await session('wl-0023', 'wl-0023');
    for (let n = 0; n < 8; n++) await publish(device.c, deviceTopic('wl-0023', 'telemetry'), `{"metrics":{"level_cm":${n}}}`);
    // each publish was acknowledged once it was queued for the server's session
    const server = await session(SERVICE.username, SERVER_CLIENT_ID, { clean: false }, SERVICE.password);
    expect(server.present).toBe(true);
    await waitFor(() => server.got.some((m) => m.payload.includes('"level_cm":7')), 'the newest queued reading');
    expect(server.got.filter((m) => m.topic === deviceTopic('wl-0023', 'telemetry')).map((m) => JSON.parse(m.payload).metrics.level_cm)).toEqual([3, 4, 5, 6, 7]);
    expect(b.stats.queueDropped).toBe(3);
  });
});

describe('idle sessions', () => {
  it("expire after the session expiry; a connected session and the server's do not", async () => {
    const b = await start({ sessionExpiryMs: 1000 });
    const id = 'wl-0024';
    const server = await session(SERVICE.username, SERVER_CLIENT_ID, { clean: false }, SERVICE.password);
    await new Promise<void>((res, rej) => server.c.subscribe([...SERVER_SUBSCRIPTIONS], { qos: 1 }, (err) => (err ? rej(err) : res())));
    await end(server.c);
    const idle = await session(id, `${id}/idle`, { clean: false });
    await subscribe(idle.c, deviceTopic(id, 'rejections'));
    await end(idle.c);
    const stays = await session(id, `${id}/stays`, { clean: false });
    await subscribe(stays.c, deviceTopic(id, 'rejections'));
    await waitFor(() => b.stats.sessionsEnded.expired >= 1, 'the idle session expired', 30_000);
    expect(b.stats.sessionsEnded.expired).toBe(1);
    // the connected one still has its subscription: a refusal report reaches it
    await publish(stays.c, deviceTopic('wl-0025', 'telemetry'), '{"metrics":{"level_cm":1}}');
    await waitFor(() => stays.got.length === 1, 'the report at the connected session');
    // the server's session outlived the device's
    const back = await session(SERVICE.username, SERVER_CLIENT_ID, { clean: false }, SERVICE.password);
    expect(back.present).toBe(true);
    const again = await session(id, `${id}/idle`, { clean: false });
    expect(again.present).toBe(false);
  });
});
