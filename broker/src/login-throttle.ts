// Failed MQTT logins per client address, with exponential back-off: once an address has failed
// `freeFailures` times it must wait `firstMs`, then twice as long after each further failure, up to `maxMs`. While
// it waits, its logins are refused before anything is checked (no scrypt, so no CPU for an
// attacker to burn, and no guesses to make). A success does not wipe the slate (an attacker with one
// device's secret could otherwise reset it between guesses); failures are forgotten `forgetMs`
// after the last one.
import { addressKey, type LoginBackoff } from './limits.js';

interface Entry { failures: number; last: number; until: number }

const PRUNE_EVERY_MS = 60_000;
/** Addresses kept at most; beyond it the least recently failed are forgotten. */
const MAX_TRACKED = 50_000;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly pruner: ReturnType<typeof setInterval>;

  constructor(private readonly o: LoginBackoff & { now?: () => number }) {
    this.pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private entry(address: string): Entry | undefined {
    const key = addressKey(address);
    const e = this.entries.get(key);
    if (e && this.now() - e.last > this.o.forgetMs && this.now() >= e.until) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** ms the address must still wait before its next login is checked; 0: now. */
  wait(address: string): number {
    const e = this.entry(address);
    return e ? Math.max(0, e.until - this.now()) : 0;
  }

  /** Records a failed login; returns the back-off it starts (0 while failures are still free). */
  failed(address: string): number {
    const key = addressKey(address);
    const now = this.now();
    let e = this.entry(address);
    if (!e) {
      if (this.entries.size >= MAX_TRACKED) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: 0, last: now, until: 0 };
    }
    this.entries.delete(key); // re-inserted: the map stays in order of last failure
    this.entries.set(key, e);
    e.failures++;
    e.last = now;
    const over = e.failures - this.o.freeFailures; // 0 at the last free failure: the first back-off starts
    if (over < 0) return 0;
    const backoff = Math.min(this.o.maxMs, this.o.firstMs * 2 ** Math.min(over, 30));
    e.until = now + backoff;
    return backoff;
  }

  /** Failures counted for the address now. */
  failures(address: string): number {
    return this.entry(address)?.failures ?? 0;
  }

  close(): void {
    clearInterval(this.pruner);
  }

  private prune(): void {
    const now = this.now();
    for (const [key, e] of this.entries) if (now - e.last > this.o.forgetMs && now >= e.until) this.entries.delete(key);
  }
}
