// Sign-in back-off, in memory, built so that nobody can lock someone else out:
// - per (username, address): the first `freeFailures` failures are answered as usual; after that each
//   attempt waits a delay that doubles with every further failure (baseDelayMs, 2×, 4×, ... up to
//   maxDelayMs). A success clears it; a pair without failures for forgetAfterMs is forgotten. The same
//   username from another address is not slowed, so the right password still gets in there.
// - per address over all usernames (one password sprayed over many names): a bucket of `addressBurst`
//   failures that refills one every addressRefillMs. A user who signed in from that address before
//   (within knownForMs) passes it; their own (username, address) back-off still applies.
// - one attempt at a time per (username, address), and an attempt takes from its address's bucket when
//   it starts (given back if it succeeds or is abandoned), so parallel guesses cannot outrun either limit.
// Addresses: IPv4; IPv4-mapped IPv6 as IPv4; other IPv6 per /64 (one host usually holds a whole /64).
// Memory: at most maxKeys entries in each of its three maps, the stalest dropped first; a restart forgets all.
// Cluster mode keeps the same state in Redis instead (redis-login-limiter.ts), shared by every replica.

export interface LimiterOptions {
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
  addressBurst?: number;
  addressRefillMs?: number;
  knownForMs?: number;
  maxKeys?: number;
  now?: () => number;
}

/** What to do with a started attempt: exactly one of these, once. */
export interface Attempt {
  /** The right password: clears the pair's back-off, gives the address its token back, remembers the pair. */
  succeed(): void | Promise<void>;
  /** A wrong password (or no such user): counts for the pair (and keeps the address's token). */
  fail(): void | Promise<void>;
  /** Not decided (the password check could not run): counts for nothing. */
  abandon(): void | Promise<void>;
}

export type LimitReason = 'backoff' | 'address' | 'in_progress';
export type LimitDecision = { allowed: true; attempt: Attempt } | { allowed: false; retryAfterS: number; reason: LimitReason };

/**
 * The sign-in limiter the login route uses: this in-memory one for `npm start`, or the same rules kept
 * in Redis (redis-login-limiter.ts) so that in cluster mode every replica counts the same failures.
 */
export interface SignInLimiter {
  /** Before checking a password: refused (429 with Retry-After), or an attempt to finish with its outcome. */
  begin(ip: string, username: string): LimitDecision | Promise<LimitDecision>;
  /** Entries held (pairs, address buckets, known sign-ins). */
  size(): number | Promise<number>;
}

const MIN = 60_000;

/** The limits, with their defaults. */
export function limits(o: LimiterOptions): Required<Omit<LimiterOptions, 'now'>> {
  return {
    freeFailures: o.freeFailures ?? 5,
    baseDelayMs: o.baseDelayMs ?? 30_000, // 30 seconds
    maxDelayMs: o.maxDelayMs ?? 15 * MIN,
    forgetAfterMs: o.forgetAfterMs ?? 60 * MIN,
    addressBurst: o.addressBurst ?? 20,
    addressRefillMs: o.addressRefillMs ?? MIN,
    knownForMs: o.knownForMs ?? 30 * 24 * 60 * MIN, // 30 days
    maxKeys: o.maxKeys ?? 10_000,
  };
}

/** The (username, address) pair an attempt counts under. */
export const pairKeyOf = (address: string, username: string): string => `${address}\n${username.slice(0, 64)}`;

interface Pair { failures: number; nextAt: number; lastAt: number }
interface Bucket { tokens: number; at: number }


export class LoginLimiter implements SignInLimiter {
  private readonly pairs = new Map<string, Pair>();
  private readonly buckets = new Map<string, Bucket>();
  /** Pairs that signed in successfully, and when. */
  private readonly known = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly o: Required<Omit<LimiterOptions, 'now'>>;
  private readonly now: () => number;

  constructor(o: LimiterOptions = {}) {
    this.o = limits(o);
    this.now = o.now ?? Date.now;
  }

  begin(ip: string, username: string): LimitDecision {
    const now = this.now();
    const address = addressKey(ip);
    const pairKey = pairKeyOf(address, username);
    if (this.inFlight.has(pairKey)) return refuse(1000, 'in_progress');
    const pair = this.livePair(pairKey, now);
    if (pair && pair.nextAt > now) return refuse(pair.nextAt - now, 'backoff');
    const known = this.isKnown(pairKey, now);
    if (!known) {
      const bucket = this.bucket(address, now);
      if (bucket.tokens < 1) return refuse((1 - bucket.tokens) * this.o.addressRefillMs, 'address');
      bucket.tokens -= 1;
    }
    this.inFlight.add(pairKey);
    let done = false;
    const finish = (outcome: (t: number) => void) => {
      if (done) return;
      done = true;
      this.inFlight.delete(pairKey);
      const t = this.now();
      outcome(t);
      this.evict(t);
    };
    return {
      allowed: true,
      attempt: {
        succeed: () => finish((t) => {
          this.pairs.delete(pairKey);
          if (!known) this.refund(address, t);
          touch(this.known, pairKey, t);
        }),
        fail: () => finish((t) => {
          const p = this.pairs.get(pairKey) ?? { failures: 0, nextAt: t, lastAt: t };
          p.failures += 1;
          p.lastAt = t;
          const over = p.failures - this.o.freeFailures;
          p.nextAt = over >= 0 ? t + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** over) : t;
          touch(this.pairs, pairKey, p);
        }),
        abandon: () => finish((t) => {
          if (!known) this.refund(address, t);
        }),
      },
    };
  }

  /** Entries held (pairs, address buckets, known sign-ins). */
  size(): number {
    return this.pairs.size + this.buckets.size + this.known.size;
  }

  private livePair(key: string, now: number): Pair | undefined {
    const p = this.pairs.get(key);
    if (p && now - p.lastAt >= this.o.forgetAfterMs) {
      this.pairs.delete(key);
      return undefined;
    }
    return p;
  }

  private isKnown(key: string, now: number): boolean {
    const at = this.known.get(key);
    return at !== undefined && now - at < this.o.knownForMs;
  }

  /** The address's bucket, refilled up to now. */
  private bucket(address: string, now: number): Bucket {
    const b = this.buckets.get(address) ?? { tokens: this.o.addressBurst, at: now };
    b.tokens = Math.min(this.o.addressBurst, b.tokens + (now - b.at) / this.o.addressRefillMs);
    b.at = now;
    touch(this.buckets, address, b);
    return b;
  }

  private refund(address: string, now: number): void {
    const b = this.bucket(address, now);
    b.tokens = Math.min(this.o.addressBurst, b.tokens + 1);
  }

  private evict(now: number): void {
    const { maxKeys } = this.o;
    const prune = <V>(map: Map<string, V>, stale: (v: V) => boolean) => {
      if (map.size <= maxKeys) return;
      for (const [k, v] of map) if (stale(v)) map.delete(k);
      // oldest activity first (touch re-inserts)
      for (const k of map.keys()) {
        if (map.size <= maxKeys) break;
        map.delete(k);
      }
    };
    prune(this.pairs, (p) => now - p.lastAt >= this.o.forgetAfterMs && p.nextAt <= now);
    prune(this.buckets, (b) => b.tokens + (now - b.at) / this.o.addressRefillMs >= this.o.addressBurst);
    prune(this.known, (at) => now - at >= this.o.knownForMs);
  }
}

export function refuse(waitMs: number, reason: LimitReason): LimitDecision {
  return { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)), reason };
}

/** Re-insert: a Map's order is then oldest activity first. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/** The key an address counts under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function addressKey(ip: string): string {
  let a = ip.trim().toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  let groups = a.split(':');
  const last = groups[groups.length - 1]!;
  if (last.includes('.')) {
    const [b1, b2, b3, b4] = last.split('.').map(Number);
    groups = [...groups.slice(0, -1), (((b1 ?? 0) << 8) | (b2 ?? 0)).toString(16), (((b3 ?? 0) << 8) | (b4 ?? 0)).toString(16)];
  }
  const gap = groups.indexOf('');
  if (gap >= 0) {
    const head = groups.slice(0, gap).filter(Boolean);
    const tail = groups.slice(gap).filter(Boolean);
    groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  }
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}
