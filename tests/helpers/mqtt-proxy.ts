// A TCP proxy between MQTT clients and a broker that can lose an acknowledgement on purpose: the
// next PUBACK the broker sends is swallowed and the link cut, as when a broker dies or a mobile link
// drops after the broker took a message but before the device heard so. The device then sends the
// message again (MQTT 3.1.1, 4.4), which is how a QoS 1 message reaches the server twice.
// mqtt.js 5 re-sends without the DUP flag the spec asks for (as do Paho Go and esp-mqtt); with
// `markResends` the proxy sets it, as a compliant client (Paho C, Java) would.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface MqttProxy {
  url: string;
  /** Swallows the next PUBACK from the broker, then closes that client's connection. Resolves with its packet id once done. */
  loseNextPuback(): Promise<number>;
  /** PUBLISH packets sent again (a packet id left unacknowledged on a cut link, on the next link), with or without DUP. */
  resends(): number;
  /** PUBLISH packets that went to the broker with the DUP flag set. */
  dupPublishes(): number;
  close(): Promise<void>;
}

/** Splits a byte stream into whole MQTT packets (fixed header, remaining length, body). */
function packetSplitter(onPacket: (packet: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < 5 && i < pending.length; i++) {
        length += (pending[i]! & 0x7f) * multiplier;
        multiplier *= 128;
        if ((pending[i]! & 0x80) === 0) break;
      }
      if (i >= pending.length || (pending[i]! & 0x80) !== 0) return; // header not complete yet
      const total = i + 1 + length;
      if (pending.length < total) return;
      onPacket(pending.subarray(0, total));
      pending = pending.subarray(total);
    }
  };
}

/** The packet id of a QoS 1 or 2 PUBLISH (after the fixed header and the topic), else null. */
function publishId(p: Buffer): number | null {
  if (p[0]! >> 4 !== 3 || ((p[0]! >> 1) & 3) === 0) return null;
  let i = 1;
  while (p[i]! & 0x80) i++;
  const topicAt = i + 1;
  return p.readUInt16BE(topicAt + 2 + p.readUInt16BE(topicAt));
}

export async function startMqttProxy(brokerPort: number, o: { markResends?: boolean } = {}): Promise<MqttProxy> {
  let loseArmed: ((id: number) => void) | null = null;
  let dups = 0;
  let resent = 0;
  /** Packet ids published on links that were cut before their PUBACK. */
  let unacknowledged = new Set<number>();
  const links = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1');
    links.add(client);
    links.add(upstream);
    const inFlight = new Set<number>();
    const fromEarlierLinks = unacknowledged;
    unacknowledged = new Set();
    let down = false;
    const cut = () => {
      if (!down) {
        down = true;
        for (const id of inFlight) unacknowledged.add(id);
      }
      client.destroy();
      upstream.destroy();
      links.delete(client);
      links.delete(upstream);
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('data', packetSplitter((p) => {
      const id = publishId(p);
      if (id !== null) {
        inFlight.add(id);
        if (fromEarlierLinks.delete(id)) {
          resent++;
          if (o.markResends) p[0]! |= 0x08;
        }
        if ((p[0]! & 0x08) !== 0) dups++;
      }
      upstream.write(p);
    }));
    upstream.on('data', packetSplitter((p) => {
      if (p[0]! >> 4 === 4 && !loseArmed) inFlight.delete(p.readUInt16BE(2));
      if (loseArmed && p[0]! >> 4 === 4) { // PUBACK: swallowed, and the link goes down before anything else
        const resolve = loseArmed;
        loseArmed = null;
        cut();
        resolve(p.readUInt16BE(2));
        return;
      }
      if (!client.destroyed) client.write(p);
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    loseNextPuback: () => new Promise<number>((resolve) => { loseArmed = resolve; }),
    resends: () => resent,
    dupPublishes: () => dups,
    close: async () => {
      for (const s of links) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
