// Proves the broker keeps aedes' MQTT 3.1.1 behaviour behind CityGrid's hooks in the anonymous
// development mode (MQTT_ALLOW_ANONYMOUS=1, topics outside city/): QoS 0/1/2, retained messages,
// wills, clean and persistent sessions, + and # wildcards, and keepalive. No signed-in client may use
// any topic (a device has its own, the service account the server's: edge-client-ids.test.ts), so
// signed-in, the same semantics are checked on the topics they have: a device's QoS 2 telemetry, its
// retained status, and a will that says it went offline, as the server's account receives them.
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import { SERVER_CLIENT_ID, allDevicesTopic, deviceTopic } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, end, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'conformance-service-password' };

interface Mode { name: string; allowAnonymous: boolean; login: IClientOptions; prefix: string }
const MODES: Mode[] = [
  { name: 'anonymous development mode', allowAnonymous: true, login: {}, prefix: 'conf/anon' },
];

interface Received { topic: string; payload: string; qos: number; retain: boolean }

describe.each(MODES)('MQTT 3.1.1 for $name', (mode) => {
  let broker: CityBroker;
  let url: string;
  const open: MqttClient[] = [];
  let n = 0;

  beforeAll(async () => {
    broker = await createBroker({ port: 0, host: '127.0.0.1', devices: loadCity(DEMO_CITY).devicesById, service: SERVICE, allowAnonymous: mode.allowAnonymous, logger: pino({ level: 'silent' }) });
    url = `mqtt://127.0.0.1:${broker.port}`;
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => end(c)));
    await broker?.close();
  });

  const topic = (name: string) => `${mode.prefix}/${name}`;

  /** A connected client with its received messages; rejects on a refused CONNACK. */
  async function client(extra: IClientOptions = {}): Promise<{ c: MqttClient; got: Received[]; sessionPresent: boolean }> {
    const got: Received[] = [];
    const c = mqtt.connect(url, { clientId: `conf-${process.pid}-${n++}`, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...mode.login, ...extra });
    open.push(c);
    c.on('message', (t, payload, packet: IPublishPacket) => got.push({ topic: t, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    const sessionPresent = await new Promise<boolean>((res, rej) => {
      c.once('connect', (ack) => res(ack.sessionPresent));
      c.once('error', rej);
    });
    return { c, got, sessionPresent };
  }
  const sub = (c: MqttClient, t: string, qos: 0 | 1 | 2) => new Promise<number>((res, rej) =>
    c.subscribe(t, { qos }, (err, granted) => (err ? rej(err) : res(granted![0]!.qos))));
  const pub = (c: MqttClient, t: string, payload: string, qos: 0 | 1 | 2, retain = false) => new Promise<void>((res, rej) =>
    c.publish(t, payload, { qos, retain }, (err) => (err ? rej(err) : res())));

  it('delivers QoS 0, 1 and 2 at the lower of the publish and subscription QoS, in order', async () => {
    const s2 = await client();
    const s1 = await client();
    expect(await sub(s2.c, topic('qos'), 2)).toBe(2);
    expect(await sub(s1.c, topic('qos'), 1)).toBe(1);
    const p = await client();
    for (const qos of [0, 1, 2] as const) await pub(p.c, topic('qos'), `q${qos}`, qos);
    await waitFor(() => s2.got.length === 3 && s1.got.length === 3, 'three messages at each subscriber', 15_000, 20);
    expect(s2.got.map((m) => [m.payload, m.qos])).toEqual([['q0', 0], ['q1', 1], ['q2', 2]]);
    expect(s1.got.map((m) => [m.payload, m.qos])).toEqual([['q0', 0], ['q1', 1], ['q2', 1]]);
  });

  it('keeps the last retained message for later subscribers, and an empty retained payload clears it', async () => {
    const p = await client();
    await pub(p.c, topic('retained'), 'first', 1, true);
    await pub(p.c, topic('retained'), 'last', 1, true);
    const late = await client();
    await sub(late.c, topic('retained'), 1);
    await waitFor(() => late.got.length === 1, 'the retained message', 15_000, 20);
    expect(late.got[0]).toMatchObject({ payload: 'last', retain: true });
    // a live delivery to a subscriber that was already there is not flagged retained
    await pub(p.c, topic('retained'), 'live', 1, true);
    await waitFor(() => late.got.length === 2, 'the live message', 15_000, 20);
    expect(late.got[1]).toMatchObject({ payload: 'live', retain: false });
    await pub(p.c, topic('retained'), '', 1, true);
    const later = await client();
    await sub(later.c, topic('retained'), 1);
    // the control: a live message after the subscription arrives, after any retained one would have
    await pub(p.c, topic('retained'), 'control', 1);
    await waitFor(() => later.got.length > 0, 'the control message', 15_000, 20);
    expect(later.got.map((m) => [m.payload, m.retain])).toEqual([['control', false]]);
  });

  it('matches + and # wildcards as the specification says (sport/# also matches sport)', async () => {
    const s = await client();
    await sub(s.c, topic('w/+/temp'), 1);
    await sub(s.c, topic('sport/#'), 1);
    const p = await client();
    for (const t of ['w/a/temp', 'w/b/temp', 'w/a/b/temp', 'w/temp', 'sport', 'sport/tennis/p1', 'sports']) await pub(p.c, topic(t), t, 1);
    // the control: a last matching message from the same publisher, after which nothing earlier is still on its way
    await pub(p.c, topic('sport/end'), 'control', 1);
    await waitFor(() => s.got.some((m) => m.payload === 'control'), 'the control message', 15_000, 20);
    expect(s.got.map((m) => m.payload).sort()).toEqual(['control', 'sport', 'sport/tennis/p1', 'w/a/temp', 'w/b/temp']);
  });

  it('queues QoS 1 messages for a persistent session and delivers them on reconnect; a clean session starts empty', async () => {
    const clientId = `conf-persistent-${mode.prefix.replace('/', '-')}`;
    const first = await client({ clientId, clean: false });
    expect(first.sessionPresent).toBe(false);
    await sub(first.c, topic('persist'), 1);
    await end(first.c);
    const p = await client();
    for (let i = 0; i < 5; i++) await pub(p.c, topic('persist'), `m${i}`, 1);
    const again = await client({ clientId, clean: false });
    expect(again.sessionPresent).toBe(true);
    await waitFor(() => again.got.length === 5, 'the 5 queued messages', 15_000, 20);
    expect(again.got.map((m) => m.payload)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await end(again.c);
    const clean = await client({ clientId, clean: true });
    expect(clean.sessionPresent).toBe(false);
    await sub(clean.c, topic('persist-control'), 1);
    await pub(p.c, topic('persist'), 'after-clean', 1);
    // the control: the same publisher's next message, on a topic the clean session did subscribe to
    await pub(p.c, topic('persist-control'), 'control', 1);
    await waitFor(() => clean.got.length > 0, 'the control message', 15_000, 20);
    expect(clean.got.map((m) => m.payload)).toEqual(['control']); // a clean session dropped the subscription
  });

  it('publishes the will when a client vanishes, and not when it disconnects properly', async () => {
    const s = await client();
    await sub(s.c, topic('will/#'), 1);
    const vanishing = await client({ will: { topic: topic('will/a'), payload: Buffer.from('gone'), qos: 1, retain: false } });
    const polite = await client({ will: { topic: topic('will/b'), payload: Buffer.from('gone'), qos: 1, retain: false } });
    await end(polite.c);
    (vanishing.c as unknown as { stream: Socket }).stream.destroy();
    await waitFor(() => s.got.length >= 1, 'the will', 15_000, 20);
    // the control: a message published once both are gone arrives, and the polite one's will did not come before it
    const p = await client();
    await pub(p.c, topic('will/control'), 'control', 1);
    await waitFor(() => s.got.some((m) => m.payload === 'control'), 'the control message', 15_000, 20);
    expect(s.got.map((m) => [m.topic, m.payload])).toEqual([[topic('will/a'), 'gone'], [topic('will/control'), 'control']]);
  });

  it('closes a connection silent for 1.5 × its keepalive and publishes its will', async () => {
    const s = await client();
    await sub(s.c, topic('keepalive'), 1);
    /** A connection by hand that then stays silent (no PINGREQ); resolves once accepted. */
    const silent = async (name: string, keepaliveS: number, will?: { topic: string; payload: string }) => {
      const socket = tcpConnect(broker.port, '127.0.0.1');
      await new Promise<void>((res) => socket.once('connect', () => res()));
      let closedAt: number | null = null;
      const closed = new Promise<number>((res) => socket.once('close', () => res(closedAt = Date.now())));
      const connack = new Promise<Buffer>((res) => socket.once('data', res));
      const started = Date.now();
      socket.write(connectPacket({ clientId: `conf-${name}-${mode.prefix.replace('/', '-')}`, keepaliveS, ...(will ? { will } : {}), ...(mode.allowAnonymous ? {} : SERVICE) }));
      expect([...(await connack)]).toEqual([0x20, 0x02, 0x00, 0x00]); // CONNACK, accepted
      return { socket, started, closed, closedAt: () => closedAt };
    };
    // the control, silent as long: a 10 s keepalive, which must outlive the 1 s one (so the broker
    // goes by each connection's keepalive, not by a fixed idle time); no wall-clock upper bound
    const control = await silent('patient', 10);
    const short = await silent('silent', 1, { topic: topic('keepalive'), payload: 'timed out' });
    const at = await short.closed;
    expect(at - short.started).toBeGreaterThanOrEqual(1000); // not before its keepalive
    expect(control.closedAt(), 'the 10 s keepalive connection closed before the 1 s one').toBeNull();
    control.socket.destroy();
    await waitFor(() => s.got.some((m) => m.payload === 'timed out'), 'the will after the keepalive timeout', 15_000, 20);
  });
});

describe('MQTT 3.1.1 for a device on its own topics', () => {
  let broker: CityBroker;
  let url: string;
  let server: MqttClient;
  const got: Received[] = [];

  beforeAll(async () => {
    broker = await createBroker({ port: 0, host: '127.0.0.1', devices: loadCity(DEMO_CITY).devicesById, service: SERVICE, allowAnonymous: false, logger: pino({ level: 'silent' }) });
    url = `mqtt://127.0.0.1:${broker.port}`;
    server = await connectDevice(url, SERVICE.username, SERVICE.password, { clientId: SERVER_CLIENT_ID });
    server.on('message', (t, payload, packet: IPublishPacket) => got.push({ topic: t, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
    await new Promise<void>((res, rej) => server.subscribe([allDevicesTopic('telemetry'), allDevicesTopic('status')], { qos: 2 }, (err, granted) => (err || granted?.some((g) => g.qos === 128) ? rej(err ?? new Error('refused')) : res())));
  });
  afterAll(async () => {
    await end(server);
    await broker?.close();
  });

  it('takes QoS 2 telemetry exactly once, keeps its status retained, and sends its will as a retained offline status', async () => {
    const id = 'wl-0005';
    const status = deviceTopic(id, 'status');
    const device = await connectDevice(url, id, undefined, { will: { topic: status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true } });
    await new Promise<void>((res, rej) => device.publish(deviceTopic(id, 'telemetry'), '{"metrics":{"level_cm":3}}', { qos: 2 }, (err) => (err ? rej(err) : res())));
    await new Promise<void>((res, rej) => device.publish(status, '{"online":true}', { qos: 1, retain: true }, (err) => (err ? rej(err) : res())));
    // mqtt.js hands a QoS 2 message over at PUBREL, one round trip after the PUBLISH: the QoS 1
    // status sent after it can be handed over first
    await waitFor(() => got.some((m) => m.topic === status) && got.some((m) => m.topic === deviceTopic(id, 'telemetry')), 'the status and the telemetry', 15_000, 20);
    expect(got.filter((m) => m.topic === deviceTopic(id, 'telemetry')).map((m) => m.qos)).toEqual([2]);
    (device as unknown as { stream: Socket }).stream.destroy();
    await waitFor(() => got.some((m) => m.topic === status && m.payload.includes('false')), 'the will', 15_000, 20);
    // the server arriving later (again, with its one client id) sees the retained offline status
    await end(server);
    const late = await connectDevice(url, SERVICE.username, SERVICE.password, { clientId: SERVER_CLIENT_ID });
    const seen = new Promise<{ payload: string; retain: boolean }>((res) => late.on('message', (t, p, packet: IPublishPacket) => { if (t === status) res({ payload: p.toString(), retain: packet.retain }); }));
    late.subscribe(status, { qos: 1 });
    expect(await seen).toEqual({ payload: '{"online":false}', retain: true });
    await end(late);
  });
});

/** An MQTT 3.1.1 CONNECT packet, by hand (the keepalive test needs a client that then stays silent). */
function connectPacket(o: { clientId: string; keepaliveS: number; will?: { topic: string; payload: string }; username?: string; password?: string }): Buffer {
  const str = (s: string) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]); };
  let flags = 0x02; // clean session
  if (o.will) flags |= 0x04 | 0x08; // will, QoS 1
  if (o.username) flags |= 0x80;
  if (o.password) flags |= 0x40;
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, o.keepaliveS >> 8, o.keepaliveS & 0xff])]);
  const payload = Buffer.concat([
    str(o.clientId),
    ...(o.will ? [str(o.will.topic), str(o.will.payload)] : []),
    ...(o.username ? [str(o.username)] : []),
    ...(o.password ? [str(o.password)] : []),
  ]);
  const length = variable.length + payload.length;
  if (length > 127) throw new Error('keep the test CONNECT under 128 bytes');
  return Buffer.concat([Buffer.from([0x10, length]), variable, payload]);
}
