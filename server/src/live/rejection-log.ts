// Every refused message: kept in a bounded list for GET /api/rejections, counted per reason,
// and passed on to whoever must hear of it (the device over MQTT, dashboards over Socket.IO).
import type { Rejection, RejectionReason, RejectionsResponse } from '@citygrid/contract';

export type RejectionListener = (rejection: Rejection) => void;

export class RejectionLog {
  private readonly items: Rejection[] = [];
  private readonly byReason = new Map<RejectionReason, number>();
  private total = 0;
  private readonly listeners: RejectionListener[] = [];

  constructor(private readonly capacity = 1000) {}

  onRecord(listener: RejectionListener): void {
    this.listeners.push(listener);
  }

  record(rejection: Rejection): void {
    const n = rejection.count ?? 1;
    this.total += n;
    this.byReason.set(rejection.reason, (this.byReason.get(rejection.reason) ?? 0) + n);
    this.items.push(rejection);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    for (const l of this.listeners) l(rejection);
  }

  count(): number {
    return this.total;
  }

  list(filter: { device?: string; reason?: string; limit: number }): RejectionsResponse {
    const out: Rejection[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const r = this.items[i]!;
      if (filter.device && r.device !== filter.device) continue;
      if (filter.reason && r.reason !== filter.reason) continue;
      out.push(r);
    }
    return { total: this.total, byReason: Object.fromEntries(this.byReason), items: out };
  }
}
