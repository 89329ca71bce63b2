// What CityGrid relies on inside aedes 1.2.0 (adapters/aedes.ts), each checked against a real aedes
// with a real MQTT client, so that an upgrade that changes it fails here rather than in production.
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { addressOf, keepServerSession, liveClients, persistenceOf, replaceOutgoing, sentDisconnect, socketOf, tolerateResumeRaces, willOf, type OutgoingMethods } from './aedes.js';

const opened: { broker: Aedes; server: Server; clients: MqttClient[] }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    for (const c of o.clients) await c.endAsync(true).catch(() => undefined);
    await new Promise<void>((r) => o.server.close(() => r()));
    await new Promise<void>((r) => o.broker.close(() => r()));
  }
});

async function start(setup?: (broker: Aedes) => void | Promise<void>) {
  const broker = await Aedes.createBroker();
  await setup?.(broker);
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const o = { broker, server, clients: [] as MqttClient[] };
  opened.push(o);
  const connect = async (clientId: string, clean = true) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, { clientId, clean, reconnectPeriod: 0 });
    o.clients.push(c);
    return c;
  };
  return { broker, connect };
}

describe('aedes internals CityGrid relies on', () => {
  it('the persistence has every method the broker calls or replaces', async () => {
    const { broker } = await start();
    const p = persistenceOf(broker) as unknown as Record<string, unknown>;
    for (const m of ['outgoingEnqueue', 'outgoingEnqueueCombi', 'outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream', 'addSubscriptions', 'cleanSubscriptions', 'cleanIncoming']) {
      expect(typeof p[m], m).toBe('function');
    }
  });

  it('aedes goes through the replaced outgoing queue methods for a persistent session', async () => {
    const called = new Set<string>();
    const { connect } = await start((broker) => {
      const original = persistenceOf(broker) as unknown as Record<string, (...a: unknown[]) => unknown>;
      const names = ['outgoingEnqueue', 'outgoingEnqueueCombi', 'outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream'] as const;
      const recording = Object.fromEntries(names.map((n) => {
        const f = original[n]!.bind(original);
        return [n, (...args: unknown[]) => { called.add(n); return f(...args); }];
      })) as unknown as OutgoingMethods;
      replaceOutgoing(broker, recording);
    });
    const sub = await connect('sub', false);
    await sub.subscribeAsync('t/x', { qos: 1 });
    await sub.endAsync();
    const pub = await connect('pub');
    await pub.publishAsync('t/x', 'queued', { qos: 1 }); // for the offline persistent session
    const back = await connect('sub', false);
    const got = await new Promise<string>((r) => back.once('message', (_t, m) => r(m.toString())));
    expect(got).toBe('queued');
    await new Promise((r) => setTimeout(r, 50)); // its PUBACK handled
    expect([...called].sort()).toEqual(['outgoingClearMessageId', 'outgoingEnqueueCombi', 'outgoingStream', 'outgoingUpdate']);
  });

  it('lists live clients by id, with their TCP socket and address', async () => {
    const { broker, connect } = await start();
    await connect('device-1');
    const client = liveClients(broker)['device-1'];
    expect(client?.id).toBe('device-1');
    expect(socketOf(client!)).toBeInstanceOf(Socket);
    expect(addressOf(client!)).toBe('127.0.0.1');
  });

  it('the in-memory persistence still says "no such packet" for a gone entry, which the resume guard lets pass', async () => {
    const { broker } = await start();
    const gone = { cmd: 'publish', topic: 't', payload: Buffer.from(''), qos: 1, messageId: 42, brokerId: 'x', brokerCounter: 1 };
    await expect(persistenceOf(broker).outgoingUpdate({ id: 'nobody' }, gone)).rejects.toThrow(/^no such packet$/);
    tolerateResumeRaces(broker);
    await expect(persistenceOf(broker).outgoingUpdate({ id: 'nobody' }, gone)).resolves.toBeUndefined();
  });

  it('a session made by keepServerSession queues messages before its client ever connected', async () => {
    const { broker, connect } = await start((b) => keepServerSession(b, 'server', ['city/#']));
    const pub = await connect('device');
    await pub.publishAsync('city/a', 'kept', { qos: 1 });
    const server = await connect('server', false);
    const got = await new Promise<string>((r) => server.once('message', (_t, m) => r(m.toString())));
    expect(got).toBe('kept');
    expect(liveClients(broker).server).toBeDefined();
  });

  it('tells the will a client gave, and whether it ended with DISCONNECT (the device page\'s history)', async () => {
    const seen: { will: ReturnType<typeof willOf>; sent: boolean }[] = [];
    const { broker, connect } = await start((b) => {
      b.on('clientDisconnect', (client) => seen.push({ will: null, sent: sentDisconnect(client) }));
    });
    const ready = new Promise<ReturnType<typeof willOf>>((r) => broker.once('clientReady', (client) => r(willOf(client))));
    const c = await connect('with-will');
    expect(await ready).toBeNull(); // no will given
    await c.endAsync(); // DISCONNECT
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.at(-1)?.sent).toBe(true);
    const willReady = new Promise<ReturnType<typeof willOf>>((r) => broker.once('clientReady', (client) => r(willOf(client))));
    const url = `mqtt://127.0.0.1:${(opened.at(-1)!.server.address() as AddressInfo).port}`;
    const w = await mqtt.connectAsync(url, { clientId: 'with-will-2', reconnectPeriod: 0, will: { topic: 'a/status', payload: Buffer.from('offline'), qos: 0, retain: false } });
    const will = await willReady;
    expect(will?.topic).toBe('a/status');
    expect(String(will?.payload)).toBe('offline');
    (w as unknown as { stream: Socket }).stream.destroy(); // no DISCONNECT
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.at(-1)?.sent).toBe(false);
    await w.endAsync(true).catch(() => undefined);
  });
});
