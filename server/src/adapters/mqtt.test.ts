// What the server relies on inside mqtt.js 5.16.0 (adapters/mqtt.ts), checked against a real broker:
// every packet the client writes, its own PUBACKs included, goes through the intercepted writer, and
// the client's stream is its TCP socket. An upgrade that changes either fails here.
import { createServer, Socket, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { interceptPackets, socketOf } from './mqtt.js';

describe('mqtt.js internals the server relies on', () => {
  it('passes every packet, PUBACKs included, through the intercepted writer; its stream is the TCP socket', async () => {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'ingest', reconnectPeriod: 0 });
    try {
      expect(socketOf(client)).toBeInstanceOf(Socket);
      expect(socketOf(client).remotePort).toBe(port);
      const written: string[] = [];
      interceptPackets(client, (packet, send, cb, rest) => {
        written.push(packet.cmd);
        send(packet, cb, ...rest);
      });
      await client.subscribeAsync('t/#', { qos: 1 });
      const got = new Promise<string>((r) => client.once('message', (_t, m) => r(m.toString())));
      const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'device', reconnectPeriod: 0 });
      await other.publishAsync('t/x', 'hello', { qos: 1 });
      await other.endAsync();
      expect(await got).toBe('hello');
      await new Promise((r) => setTimeout(r, 20));
      expect(written).toEqual(['subscribe', 'puback']);
    } finally {
      await client.endAsync(true);
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    }
  });
});
