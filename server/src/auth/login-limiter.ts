// Sign-in rate limit, in memory: after `maxFailures` failed attempts within `windowMs` from one IP
// address, or for one username, further attempts are refused (429) until the oldest failure ages out.
// Memory is bounded: at most `maxKeys` keys, the stalest dropped first.

export interface LimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxKeys?: number;
  now?: () => number;
}

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(o: LimiterOptions = {}) {
    this.maxFailures = o.maxFailures ?? 5;
    this.windowMs = o.windowMs ?? 5 * 60_000; // 5 minutes
    this.maxKeys = o.maxKeys ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  check(ip: string, username: string): LimitDecision {
    const now = this.now();
    let wait = 0;
    for (const key of keys(ip, username)) {
      const recent = this.recent(key, now);
      if (recent.length >= this.maxFailures) wait = Math.max(wait, recent[recent.length - this.maxFailures]! + this.windowMs - now);
    }
    return wait > 0 ? { allowed: false, retryAfterS: Math.max(1, Math.ceil(wait / 1000)) } : { allowed: true };
  }

  fail(ip: string, username: string): void {
    const now = this.now();
    for (const key of keys(ip, username)) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.delete(key); // re-insert: Map order is then oldest activity first
      this.failures.set(key, list.slice(-this.maxFailures));
    }
    this.evict(now);
  }

  /** A good password clears that username's failures (not the address's: one known account must not unlock guessing others). */
  succeed(_ip: string, username: string): void {
    this.failures.delete(`user:${username}`);
  }

  size(): number {
    return this.failures.size;
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  private evict(now: number): void {
    if (this.failures.size <= this.maxKeys) return;
    for (const [key, list] of this.failures) {
      if (list.every((t) => now - t >= this.windowMs)) this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}

function keys(ip: string, username: string): string[] {
  return [`ip:${ip}`, `user:${username.slice(0, 64)}`];
}
