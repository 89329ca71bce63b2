// What the server relies on inside engine.io 6.6 (adapters/engine-io.ts), checked against a real
// Socket.IO server and client: packets waiting for a client are counted, the transport says whether
// it takes a write, and terminate() ends a websocket at once. An upgrade that changes any fails here.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { terminate, transportWritable, waitingPackets } from './engine-io.js';

describe('engine.io internals the server relies on', () => {
  it('counts waiting packets, says when the transport is writable, and terminates a websocket', async () => {
    const http: HttpServer = createServer();
    const io = new Server(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const connected = new Promise<Socket>((r) => io.on('connection', r));
    const client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], reconnection: false });
    try {
      const socket = await connected;
      await new Promise((r) => setTimeout(r, 50));
      expect(waitingPackets(socket.conn)).toBe(0);
      expect(transportWritable(socket.conn)).toBe(true);
      for (let i = 0; i < 100; i++) socket.emit('tick', i); // handed to engine.io in this turn, flushed after it
      expect(waitingPackets(socket.conn)).toBeGreaterThan(0);
      const closed = new Promise<string>((r) => client.once('disconnect', (why) => r(why)));
      terminate(socket.conn);
      expect(await closed).toBe('transport close');
    } finally {
      client.close();
      await new Promise<void>((r) => io.close(() => r()));
    }
  });
});
