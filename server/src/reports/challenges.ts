// Proof-of-work challenges for residents' reports (issue 17: abuse resistance without identity or a
// third-party service). A challenge is stateless and signed, so any replica can check one another
// issued: `v1.<issued at, base 36>.<16 random bytes>.<HMAC>`. It is good for TTL_MS and for one report:
// a solved challenge is claimed when it is used, so the same work cannot be spent twice. The work is
// the contract's powCheck (SHA-256 with `difficulty` leading zero bits).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { powCheck } from '@citygrid/contract';

export const CHALLENGE_TTL_MS = 10 * 60_000;

/** Who remembers the challenges already spent, until they would have expired anyway. */
export interface SpentChallenges {
  /** True if `challenge` was not spent before (and is now); false if it was. */
  claim(challenge: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * In memory: at most `max` challenges, each forgotten once it has expired. Full (a flood of solved
 * challenges within one TTL), it refuses to claim more: the caller answers "busy, try again", never
 * forgets one early (which would let its work be spent again).
 */
export class MemorySpentChallenges implements SpentChallenges {
  private readonly spent = new Map<string, number>();
  constructor(private readonly max = 100_000, private readonly now: () => number = Date.now) {}

  claim(challenge: string, expiresAt: number): boolean {
    if (this.spent.has(challenge)) return false;
    const now = this.now();
    if (this.spent.size >= this.max) {
      // entries go in in time order with the same TTL: the oldest are first
      for (const [c, at] of this.spent) {
        if (at > now) break;
        this.spent.delete(c);
      }
      if (this.spent.size >= this.max) throw new ChallengeBusyError();
    }
    this.spent.set(challenge, expiresAt);
    return true;
  }

  size(): number {
    return this.spent.size;
  }
}

/**
 * In Redis (cluster mode): every replica spends from one list, so work done once is accepted once in
 * all. One key a challenge, `SET NX` with the challenge's own expiry: Redis forgets it then.
 */
export class RedisSpentChallenges implements SpentChallenges {
  constructor(private readonly redis: { set(key: string, value: string, options?: object): Promise<string | null> }) {}

  async claim(challenge: string, expiresAt: number): Promise<boolean> {
    const key = `citygrid:report-challenge:${createHmac('sha256', 'citygrid').update(challenge).digest('base64url').slice(0, 22)}`;
    return (await this.redis.set(key, '1', { condition: 'NX', expiration: { type: 'PXAT', value: expiresAt } })) === 'OK';
  }
}

export class ChallengeBusyError extends Error {
  constructor() {
    super('Too many reports are being filed right now; try again in a few minutes');
    this.name = 'ChallengeBusyError';
  }
}

export type ChallengeVerdict =
  | { ok: true }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'unsolved' | 'spent'; message: string };

export interface IssuedChallenge { challenge: string; difficulty: number; expiresAt: number }

export class Challenges {
  constructor(private readonly o: {
    /** The key challenges are signed with (cluster mode: the same on every replica). */
    secret: string | Buffer;
    /** Leading zero bits the work must reach. */
    difficulty: number;
    spent: SpentChallenges;
    now?: () => number;
  }) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.o.secret).update(body).digest('base64url').slice(0, 22);
  }

  issue(): IssuedChallenge {
    const issuedAt = this.now();
    const body = `v1.${issuedAt.toString(36)}.${randomBytes(16).toString('base64url')}`;
    return { challenge: `${body}.${this.sign(body)}`, difficulty: this.o.difficulty, expiresAt: issuedAt + CHALLENGE_TTL_MS };
  }

  /** Checks the signature, the age and the work, then spends the challenge. */
  async verify(challenge: unknown, nonce: unknown): Promise<ChallengeVerdict> {
    if (typeof challenge !== 'string' || typeof nonce !== 'string' || challenge.length > 120) {
      return { ok: false, reason: 'malformed', message: 'challenge and nonce must be the strings GET /api/public/reports/challenge gave and the work found' };
    }
    const parts = challenge.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1' || !/^[0-9a-z]{1,12}$/.test(parts[1]!)) {
      return { ok: false, reason: 'malformed', message: 'the challenge is not one this server issues' };
    }
    const body = parts.slice(0, 3).join('.');
    const given = Buffer.from(parts[3]!);
    const expected = Buffer.from(this.sign(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'forged', message: 'the challenge is not one this server issued' };
    }
    const expiresAt = parseInt(parts[1]!, 36) + CHALLENGE_TTL_MS;
    if (expiresAt <= this.now()) return { ok: false, reason: 'expired', message: `the challenge is older than ${CHALLENGE_TTL_MS / 60_000} minutes; ask for a new one` };
    if (!(await powCheck(challenge, nonce, this.o.difficulty))) {
      return { ok: false, reason: 'unsolved', message: `the nonce does not solve the challenge (SHA-256 of "<challenge>:<nonce>" must start with ${this.o.difficulty} zero bits)` };
    }
    if (!(await this.o.spent.claim(challenge, expiresAt))) return { ok: false, reason: 'spent', message: 'this challenge was already used for a report; ask for a new one' };
    return { ok: true };
  }
}
