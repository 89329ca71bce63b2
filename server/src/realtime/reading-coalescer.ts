// At most one `reading` per device per READING_COALESCE_MS: the first goes out at once, later ones
// within the window are merged (the registry's latest values) and sent when the window ends.
import { READING_COALESCE_MS, type ReadingEvent } from '@citygrid/contract';

export class ReadingCoalescer {
  private readonly pending = new Map<string, ReadingEvent>();
  private readonly lastSent = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly send: (event: ReadingEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly windowMs = READING_COALESCE_MS,
    tickMs = 100,
  ) {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  push(event: ReadingEvent): void {
    const t = this.now();
    const last = this.lastSent.get(event.device);
    if (!this.pending.has(event.device) && (last === undefined || t - last >= this.windowMs)) {
      this.lastSent.set(event.device, t);
      this.send(event);
      return;
    }
    this.pending.set(event.device, event);
  }

  tick(): void {
    const t = this.now();
    for (const [device, event] of this.pending) {
      if (t - (this.lastSent.get(device) ?? 0) < this.windowMs) continue;
      this.pending.delete(device);
      this.lastSent.set(device, t);
      this.send(event);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.pending.clear();
  }
}
