// Proves the length scanner finds each packet's announced length however the stream is cut, skips bodies, and flags a header over the limit (or a malformed length) as soon as its length is complete.
import { describe, expect, it } from 'vitest';
import { PacketScanner } from './packet-scanner.js';

const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const packet = (type: number, bodyLength: number) => Buffer.from([type, ...varint(bodyLength), ...Array<number>(bodyLength).fill(0x61)]);

describe('PacketScanner', () => {
  it('lets packets under the limit through, in any cut of the stream', () => {
    const stream = Buffer.concat([packet(0x10, 30), packet(0x30, 200), packet(0xc0, 0), packet(0x30, 16_383), packet(0x30, 16_384)]);
    for (const cut of [1, 2, 3, 7, 128, 4096, stream.length]) {
      const scanner = new PacketScanner();
      const seen: number[] = [];
      const flagged: unknown[] = [];
      for (let i = 0; i < stream.length; i += cut) {
        const over = scanner.feed(stream.subarray(i, i + cut), (n) => { seen.push(n); return n > 20_000; });
        if (over) flagged.push(over);
      }
      expect(flagged).toEqual([]);
      expect(seen).toEqual([30, 200, 0, 16_383, 16_384]);
    }
  });

  it('flags the first packet announcing more than allowed, before any of its body', () => {
    const scanner = new PacketScanner();
    const small = packet(0x30, 10);
    expect(scanner.feed(small, (n) => n > 1000)).toBeNull();
    // 256 MiB - 1, split inside its length bytes
    const header = Buffer.from([0x10, ...varint(268_435_455)]);
    expect(scanner.feed(header.subarray(0, 3), (n) => n > 1000)).toBeNull();
    expect(scanner.feed(header.subarray(3), (n) => n > 1000)).toEqual({ announced: 268_435_455 });
  });

  it('flags a length with a fifth continuation byte as malformed', () => {
    expect(new PacketScanner().feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), () => false)).toEqual({ announced: Infinity });
  });
});
