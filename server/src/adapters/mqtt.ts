// Every place the server reaches into mqtt.js' internals (mqtt 5.16.0, pinned exactly in
// server/package.json): its packet writer and its socket. Each has a test in mqtt.test.ts that fails
// if an upgrade changes what it relies on, so an upgrade breaks a test, not production.
import type { Socket } from 'node:net';
import type { MqttClient } from 'mqtt';

/** mqtt.js' internal writer of one packet (`client._sendPacket`); the callback runs once it is written. */
export type SendPacket = (packet: { cmd: string }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * Puts `intercept` in front of every packet the client writes (PUBACKs included, which mqtt.js
 * sends by itself); it gets the original writer to pass packets on with. Returns that writer.
 */
export function interceptPackets(client: MqttClient, intercept: (packet: { cmd: string }, send: SendPacket, cb: ((err?: Error) => void) | undefined, rest: unknown[]) => void): SendPacket {
  const c = client as unknown as { _sendPacket: SendPacket };
  const send = c._sendPacket.bind(client) as SendPacket;
  c._sendPacket = (packet, cb, ...rest) => intercept(packet, send, cb, rest);
  return send;
}

/** The TCP socket of the client's current connection. */
export function socketOf(client: MqttClient): Socket {
  return client.stream as unknown as Socket;
}
