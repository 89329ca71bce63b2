// Reads the length of each MQTT packet as its bytes arrive, without parsing packets: the fixed
// header's first byte, then the remaining-length varint (1 to 4 bytes, MQTT 3.1.1 section 2.2.3),
// then it skips that many bytes to the next header. The connection guard uses it to close a
// connection whose header announces more than allowed, before aedes' parser buffers the body.

/** What `feed` found wrong with the stream: a packet announcing `announced` bytes (Infinity: a malformed length). */
export interface Oversized { announced: number }

export class PacketScanner {
  private state: 'type' | 'length' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  /** Body bytes of the current packet still to skip. */
  private skip = 0;

  /**
   * Scans a chunk of the stream. Returns the first packet whose announced length `tooLarge` refuses
   * (asked as soon as the length is complete, before any of the body), or null.
   */
  feed(chunk: Uint8Array, tooLarge: (announced: number) => boolean): Oversized | null {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, n - i);
        this.skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { announced: Infinity }; // a fifth length byte: malformed
        continue;
      }
      if (tooLarge(this.length)) return { announced: this.length };
      this.state = 'type';
      this.skip = this.length;
    }
    return null;
  }
}
