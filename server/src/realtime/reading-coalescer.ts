// At most one `reading` per device per READING_COALESCE_MS: the first goes out at once, later ones
// within the window are merged (the registry's latest values) and sent when the window ends.
// Window ends are kept in a queue ordered by time (every window has the same length, so send order
// is end order): a tick looks only at the windows that ended, never at every device, which lets it
// run every 20 ms (a held reading waits at most ~20 ms past its window) at any number of devices.
import { READING_COALESCE_MS, type ReadingEvent } from '@citygrid/contract';

export class ReadingCoalescer {
  private readonly pending = new Map<string, ReadingEvent>();
  private readonly lastSent = new Map<string, number>();
  /** Devices in the order their windows end (= the order they were sent); `head` is the next one. */
  private ends: string[] = [];
  private endsAt: number[] = [];
  private head = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly send: (event: ReadingEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly windowMs = READING_COALESCE_MS,
    tickMs = 20,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  push(event: ReadingEvent): void {
    const t = this.now();
    const last = this.lastSent.get(event.device);
    if (!this.pending.has(event.device) && (last === undefined || t - last >= this.windowMs)) {
      this.emit(event, t);
      return;
    }
    this.pending.set(event.device, event);
  }

  private emit(event: ReadingEvent, t: number): void {
    this.lastSent.set(event.device, t);
    this.ends.push(event.device);
    this.endsAt.push(t);
    this.send(event);
  }

  tick(): void {
    const t = this.now();
    const ends = this.ends;
    // bounded: each entry is looked at once; entries added while sending are due a window later
    const stop = ends.length;
    while (this.head < stop) {
      const device = ends[this.head]!;
      const sentAt = this.endsAt[this.head]!;
      if (this.lastSent.get(device) !== sentAt) {
        this.head++; // stale: the device was sent again since (its newer entry is further back)
        continue;
      }
      if (t - sentAt < this.windowMs) break;
      this.head++;
      const event = this.pending.get(device);
      if (event) {
        this.pending.delete(device);
        this.emit(event, t);
      }
    }
    if (this.head > 1024 && this.head * 2 > ends.length) {
      this.ends = ends.slice(this.head);
      this.endsAt = this.endsAt.slice(this.head);
      this.head = 0;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.pending.clear();
  }
}
