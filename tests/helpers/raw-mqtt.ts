// MQTT 3.1.1 packets by hand, for tests that must send what no well-behaved client would: a header
// announcing far more than it sends, a CONNECT that never finishes, a login from a chosen source
// address. Only what the edge tests need: CONNECT, PUBLISH, the remaining-length varint and CONNACK.
import { connect as tcpConnect, type Socket } from 'node:net';

/** The remaining-length varint of a fixed header (1 to 4 bytes, up to 268,435,455). */
export function varint(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 268_435_455) throw new Error(`remaining length ${length} out of range`);
  const out: number[] = [];
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

export interface ConnectFields {
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  keepaliveS?: number;
  will?: { topic: string; payload: string | Buffer; qos?: 0 | 1; retain?: boolean };
}

/** A complete CONNECT packet. */
export function connectPacket(o: ConnectFields): Buffer {
  let flags = o.clean === false ? 0 : 0x02;
  if (o.will) flags |= 0x04 | ((o.will.qos ?? 0) << 3) | (o.will.retain ? 0x20 : 0);
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const keepalive = o.keepaliveS ?? 60;
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff])]);
  const payload = Buffer.concat([
    str(o.clientId),
    ...(o.will ? [str(o.will.topic), str(o.will.payload)] : []),
    ...(o.username !== undefined ? [str(o.username)] : []),
    ...(o.password !== undefined ? [str(o.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), varint(variable.length + payload.length), variable, payload]);
}

/** A complete PUBLISH packet (QoS 0 or 1; packet id 1 for QoS 1). */
export function publishPacket(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): Buffer {
  const body = Buffer.concat([str(topic), ...(qos ? [Buffer.from([0, 1])] : []), typeof payload === 'string' ? Buffer.from(payload) : payload]);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), varint(body.length), body]);
}

/** Only a fixed header: packet type byte and a remaining length that the bytes sent after it may never reach. */
export function header(typeByte: number, announced: number): Buffer {
  return Buffer.concat([Buffer.from([typeByte]), varint(announced)]);
}

export const CONNECT = 0x10;
export const PUBLISH = 0x30;

/** A raw TCP connection to the broker, resolved once established; `closed` resolves when it closes for any reason. */
export async function rawConnection(port: number, opts: { host?: string; localAddress?: string } = {}): Promise<{ socket: Socket; closed: Promise<void>; isClosed(): boolean; received(): Buffer }> {
  const socket = tcpConnect({ port, host: opts.host ?? '127.0.0.1', ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
  socket.on('error', () => undefined); // ECONNRESET / EPIPE once the broker closes: expected here
  let isClosed = false;
  let got = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
  const closed = new Promise<void>((res) => socket.once('close', () => { isClosed = true; res(); }));
  await new Promise<void>((res, rej) => {
    socket.once('connect', () => res());
    socket.once('close', () => rej(new Error(`connection to port ${port} closed before it was established`)));
  });
  return { socket, closed, isClosed: () => isClosed, received: () => got };
}

/**
 * Writes `chunk` again and again (each write waits for the previous one to be handed to the kernel)
 * until `total` bytes are written or the connection closes. Resolves with the bytes handed over.
 */
export async function pour(socket: Socket, chunk: Buffer, total: number): Promise<number> {
  let written = 0;
  while (written < total && !socket.destroyed && socket.writable) {
    const ok = await new Promise<boolean>((res) => socket.write(chunk, (err) => res(!err)));
    if (!ok) break;
    written += chunk.length;
  }
  return written;
}

/** The return code of the first CONNACK among `bytes`, or null when none has arrived. */
export function connackCode(bytes: Buffer): number | null {
  return bytes.length >= 4 && bytes[0] === 0x20 && bytes[1] === 0x02 ? bytes[3]! : null;
}
