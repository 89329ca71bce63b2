// Proves the hand-made MQTT packets match the 3.1.1 wire format and that framing survives split reads.
import { describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { PUBACK, PUBLISH, PacketReader, decodePublish, encodeConnect, encodePuback, encodePublish, encodeSubscribe } from './mqtt-wire.js';

function parse(buf: Buffer): Record<string, unknown>[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Record<string, unknown>[] = [];
  parser.on('packet', (p) => out.push(p as unknown as Record<string, unknown>));
  parser.parse(buf);
  return out;
}

describe('mqtt-wire', () => {
  it('encodes CONNECT, PUBLISH, PUBACK and SUBSCRIBE that mqtt-packet reads back', () => {
    const [c] = parse(encodeConnect({ clientId: 'load-wl-1', username: 'wl-1', password: 'demo-wl-1', keepaliveS: 60, clean: true }));
    expect(c).toMatchObject({ cmd: 'connect', clientId: 'load-wl-1', username: 'wl-1', keepalive: 60, clean: true, protocolVersion: 4 });
    expect(String(c!.password)).toBe('demo-wl-1');
    const payload = Buffer.alloc(300, 'x'); // a two-byte remaining length
    const [p] = parse(encodePublish(Buffer.from('city/v1/devices/wl-1/telemetry'), payload, 1, 513));
    expect(p).toMatchObject({ cmd: 'publish', topic: 'city/v1/devices/wl-1/telemetry', qos: 1, messageId: 513 });
    expect((p!.payload as Buffer).equals(payload)).toBe(true);
    expect(parse(encodePuback(65535))[0]).toMatchObject({ cmd: 'puback', messageId: 65535 });
    expect(parse(encodeSubscribe(7, 'city/#', 1))[0]).toMatchObject({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'city/#', qos: 1 }] });
  });

  it('frames packets split across reads and decodes a received PUBLISH', () => {
    const got: [number, Buffer][] = [];
    const reader = new PacketReader((type, flags, body) => got.push([type, Buffer.from(type === PUBLISH ? Buffer.from([flags]) : body)]));
    const bytes = Buffer.concat([encodePuback(1), encodePublish(Buffer.from('a/b'), Buffer.alloc(200, 1), 1, 9), encodePuback(2)]);
    for (let i = 0; i < bytes.length; i += 3) reader.push(bytes.subarray(i, i + 3));
    expect(got.map(([t]) => t)).toEqual([PUBACK, PUBLISH, PUBACK]);
    const body = encodePublish(Buffer.from('a/b'), Buffer.from('hi'), 1, 9).subarray(2);
    expect(decodePublish(0x02, body)).toMatchObject({ topic: 'a/b', qos: 1, id: 9 });
    expect(decodePublish(0x02, body).payload.toString()).toBe('hi');
  });
});
