// The few MQTT 3.1.1 packets a load generator needs, encoded and parsed by hand: a device
// connection then costs a socket and a few hundred bytes instead of a whole mqtt.js client, and
// one process can keep tens of thousands of connections and ~50,000 QoS 1 publishes/s going.
// Out: CONNECT, PUBLISH (QoS 0/1), PUBACK, SUBSCRIBE, PINGREQ, DISCONNECT. In: any packet, framed.

export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;
export const PINGRESP = 13;

export const PINGREQ_PACKET = Buffer.from([0xc0, 0x00]);
export const DISCONNECT_PACKET = Buffer.from([0xe0, 0x00]);

/** Bytes the "remaining length" varint of `n` takes. */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

function header(type: number, flags: number, remaining: number): { buf: Buffer; at: number } {
  if (remaining > 268_435_455) throw new Error(`MQTT packet too large: ${remaining} bytes`);
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = (type << 4) | flags;
  return { buf, at: writeVarint(buf, 1, remaining) };
}

function writeString(buf: Buffer, at: number, s: Buffer): number {
  buf.writeUInt16BE(s.length, at);
  s.copy(buf, at + 2);
  return at + 2 + s.length;
}

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS: number;
  clean: boolean;
}

export function encodeConnect(o: ConnectOptions): Buffer {
  const id = Buffer.from(o.clientId);
  const user = o.username !== undefined ? Buffer.from(o.username) : null;
  const pass = o.password !== undefined ? Buffer.from(o.password) : null;
  const remaining = 10 + 2 + id.length + (user ? 2 + user.length : 0) + (pass ? 2 + pass.length : 0);
  const { buf, at: start } = header(1, 0, remaining);
  let at = writeString(buf, start, Buffer.from('MQTT'));
  buf[at++] = 4; // protocol level: 3.1.1
  buf[at++] = (user ? 0x80 : 0) | (pass ? 0x40 : 0) | (o.clean ? 0x02 : 0);
  buf.writeUInt16BE(o.keepaliveS, at);
  at = writeString(buf, at + 2, id);
  if (user) at = writeString(buf, at, user);
  if (pass) writeString(buf, at, pass);
  return buf;
}

/** PUBLISH; `id` is the packet identifier (1..65535), ignored at QoS 0. */
export function encodePublish(topic: Buffer, payload: Buffer, qos: 0 | 1, id: number, retain = false): Buffer {
  const remaining = 2 + topic.length + (qos ? 2 : 0) + payload.length;
  const { buf, at: start } = header(PUBLISH, (qos << 1) | (retain ? 1 : 0), remaining);
  let at = writeString(buf, start, topic);
  if (qos) {
    buf.writeUInt16BE(id, at);
    at += 2;
  }
  payload.copy(buf, at);
  return buf;
}

export function encodePuback(id: number): Buffer {
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
}

export function encodeSubscribe(id: number, topic: string, qos: 0 | 1): Buffer {
  const t = Buffer.from(topic);
  const { buf, at: start } = header(8, 0x02, 2 + 2 + t.length + 1);
  buf.writeUInt16BE(id, start);
  const at = writeString(buf, start + 2, t);
  buf[at] = qos;
  return buf;
}

/** A received PUBLISH: topic, payload, QoS and packet id (0 at QoS 0). */
export function decodePublish(flags: number, body: Buffer): { topic: string; payload: Buffer; qos: number; id: number } {
  const qos = (flags >> 1) & 3;
  const topicLength = body.readUInt16BE(0);
  const topic = body.toString('utf8', 2, 2 + topicLength);
  let at = 2 + topicLength;
  let id = 0;
  if (qos > 0) {
    id = body.readUInt16BE(at);
    at += 2;
  }
  return { topic, payload: body.subarray(at), qos, id };
}

/**
 * Frames a byte stream into packets. `push` calls `onPacket(type, flags, body)` for every complete
 * packet (body is a view into the received bytes: copy it to keep it) and keeps the incomplete rest.
 */
export class PacketReader {
  private rest: Buffer | null = null;

  constructor(private readonly onPacket: (type: number, flags: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let at = 0;
    while (at < buf.length) {
      if (buf.length - at < 2) break;
      let remaining = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < buf.length; k++) {
        const byte = buf[i++]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i - at > 4) throw new Error('malformed MQTT remaining length');
        break;
      }
      if (i + remaining > buf.length) break;
      const b0 = buf[at]!;
      this.onPacket(b0 >> 4, b0 & 0x0f, buf.subarray(i, i + remaining));
      at = i + remaining;
    }
    if (at < buf.length) {
      buf = buf.subarray(at);
      this.rest = Buffer.from(buf); // own the bytes: the socket may reuse its chunk
    }
  }
}
