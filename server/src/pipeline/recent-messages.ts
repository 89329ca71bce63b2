// What the server took in the last two minutes, so that a copy of a message is not taken twice.
//
// QoS 1 is "at least once". A device whose PUBACK was lost (the broker restarted, the link dropped)
// sends the message again, and the broker passes the copy on like any other message; most client
// libraries (mqtt.js 5, Paho Go, esp-mqtt) do not even set DUP on it. A copy is only recognisable
// by what it says: a message whose every reading carries its own `ts` or `seq` is *identifiable*,
// and the same bytes from the same device within the window are the same message. A message with
// neither could legitimately repeat (a stuck sensor sends the same value every time, and the
// `frozen` rule is there to notice), so it counts as a copy only when it says so with DUP.
import { messageKey } from '@citygrid/broker';

/** How long a message is remembered: JetStream's default duplicate window, the same in cluster mode. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
/**
 * At most this many messages are remembered (about 10 MB). At 20,000 messages a second that is the
 * last 5 s, still more than a broker restart takes to bring the devices back with their copies.
 */
export const MAX_REMEMBERED = 100_000;

export class RecentMessages {
  /** key -> receivedAt * 2 + (identifiable ? 1 : 0): one number per entry, no object. */
  private readonly seen = new Map<string, number>();
  /** Keys in the order they were remembered; the oldest is forgotten when the ring is full. */
  private readonly ring: (string | undefined)[];
  private head = 0;

  constructor(private readonly windowMs = DUPLICATE_WINDOW_MS, capacity = MAX_REMEMBERED) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** The message's identity: its device, channel and a digest of its bytes. */
  static key(deviceId: string, channel: string, payload: Buffer): string {
    return messageKey(deviceId, channel, payload);
  }

  /** True when `key` is a copy of a message taken within the window (see the file's header for when that can be told). */
  isCopy(key: string, now: number, dup: boolean): boolean {
    const v = this.seen.get(key);
    if (v === undefined) return false;
    const identifiable = v % 2 === 1;
    const at = (v - (identifiable ? 1 : 0)) / 2;
    return now - at <= this.windowMs && (identifiable || dup);
  }

  remember(key: string, now: number, identifiable: boolean): void {
    if (!this.seen.has(key)) {
      const oldest = this.ring[this.head];
      if (oldest !== undefined) this.seen.delete(oldest);
      this.ring[this.head] = key;
      this.head = (this.head + 1) % this.ring.length;
    }
    this.seen.set(key, now * 2 + (identifiable ? 1 : 0));
  }

  size(): number {
    return this.seen.size;
  }
}
