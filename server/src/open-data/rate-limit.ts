// Per-address limit of the open data (no sign-in, so every client may be hostile): at most `limit`
// requests per fixed window per address. Addresses are kept only as salted hashes (the salt is new
// each start) and only while their window runs; the table holds at most `maxAddresses` (beyond, the
// oldest windows go first, which can only let a forgotten address in early, never lock one out).
import { createHash, randomBytes } from 'node:crypto';

export interface RateDecision { ok: boolean; retryAfterS: number }

export class AddressLimiter {
  private readonly salt = randomBytes(16);
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly o: { limit: number; windowMs: number; maxAddresses?: number }) {}

  take(address: string, now: number): RateDecision {
    const key = createHash('sha256').update(this.salt).update(address).digest('base64url').slice(0, 22);
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.o.windowMs) {
      this.windows.delete(key);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      this.sweep(now);
    }
    w.count++;
    if (w.count <= this.o.limit) return { ok: true, retryAfterS: 0 };
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((w.start + this.o.windowMs - now) / 1000)) };
  }

  /** Addresses remembered now (a test checks the table stays bounded). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    const max = this.o.maxAddresses ?? 100_000;
    // oldest windows first (Map keeps insertion order, and a new window is inserted anew)
    for (const [key, w] of this.windows) {
      if (this.windows.size <= max && now - w.start < this.o.windowMs) break;
      this.windows.delete(key);
    }
  }
}
