// Per-device publish budget: a token bucket of `perSecond` messages a second with bursts up to
// `burst`. A device over it has its messages acknowledged and dropped (like any refusal), and is
// told so once, then in one summed-up report every 10 s while it goes on: a flooding device does not
// make the broker flood the server and itself with one refusal report per message.

export interface RateLimitOptions {
  /** Sustained messages per second per device; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: how many messages a device may send at once after a quiet spell. */
  burst: number;
  /** Called with a device and how many of its messages were refused since its last report. */
  report(device: string, refused: number, first: boolean): void;
  now?: () => number;
}

interface Bucket { tokens: number; at: number; refused: number; reportedAt: number; debt: number }

export const REPORT_EVERY_MS = 10_000;
/**
 * The longest a device's refused message is held before its acknowledgement (see holdMs). aedes
 * reads a client's next chunk only once every packet of the last one is handled, so holding them
 * stops reading its socket: TCP pushes back on the device, and the broker no longer parses (and
 * drops) tens of thousands of messages a second for one device while others wait.
 */
export const MAX_HOLD_MS = 2_000;

export class DeviceRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending = new Set<string>();
  private readonly timer: ReturnType<typeof setInterval> | null;
  private readonly now: () => number;

  constructor(private readonly o: RateLimitOptions) {
    this.now = o.now ?? Date.now;
    this.timer = o.perSecond > 0 ? setInterval(() => this.flush(), REPORT_EVERY_MS) : null;
    this.timer?.unref();
  }

  get enabled(): boolean {
    return this.o.perSecond > 0;
  }

  /**
   * True when the device may publish one more message now (and takes a token). `scale` multiplies
   * its budget (rate and burst): a gateway's connection carries its children's messages too.
   */
  allow(device: string, scale = 1): boolean {
    if (!this.enabled) return true;
    const now = this.now();
    let b = this.buckets.get(device);
    if (!b) {
      b = { tokens: this.o.burst * scale, at: now, refused: 0, reportedAt: 0, debt: 0 };
      this.buckets.set(device, b);
    }
    b.tokens = Math.min(this.o.burst * scale, b.tokens + ((now - b.at) / 1000) * this.o.perSecond * scale);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.debt = 0;
      return true;
    }
    b.refused++;
    b.debt++;
    if (now - b.reportedAt >= REPORT_EVERY_MS) {
      // the first refusal of a spell is reported at once; the rest are summed up
      const first = b.reportedAt === 0 || now - b.reportedAt >= 2 * REPORT_EVERY_MS;
      this.o.report(device, b.refused, first);
      b.refused = 0;
      b.reportedAt = now;
      this.pending.delete(device);
    } else {
      this.pending.add(device);
    }
    return false;
  }

  /**
   * How long to hold the refused message just counted: the time the device's budget needs to pay
   * for what it sent over it since it last had room (at most MAX_HOLD_MS). 0 for a device within budget.
   */
  holdMs(device: string, scale = 1): number {
    const b = this.buckets.get(device);
    if (!this.enabled || !b || b.debt === 0) return 0;
    return Math.min(MAX_HOLD_MS, Math.ceil((b.debt / (this.o.perSecond * scale)) * 1000));
  }

  /** Reports what was refused since each device's last report. */
  flush(): void {
    const now = this.now();
    for (const device of this.pending) {
      const b = this.buckets.get(device);
      if (b && b.refused > 0) {
        this.o.report(device, b.refused, false);
        b.refused = 0;
        b.reportedAt = now;
      }
    }
    this.pending.clear();
    // forget buckets that have been full for a minute (devices that left or publish slowly)
    for (const [device, b] of this.buckets) {
      if (b.refused === 0 && now - b.at > 60_000) this.buckets.delete(device);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }
}
