// Proves the report challenges: a solved one passes once, and a forged, tampered, expired, unsolved or
// spent one is refused with its reason; another replica with the same secret accepts what this one
// issued; the spent list forgets expired entries and, full of live ones, refuses instead of forgetting.
import { powSolve } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { ChallengeBusyError, Challenges, CHALLENGE_TTL_MS, MemorySpentChallenges } from './challenges.js';

const BITS = 8;

function setUp(secret = 'a-secret-of-the-replicas') {
  let now = 1_800_000_000_000;
  const spent = new MemorySpentChallenges(1000, () => now);
  const challenges = new Challenges({ secret, difficulty: BITS, spent, now: () => now });
  return { challenges, spent, advance: (ms: number) => { now += ms; } };
}

describe('report challenges', () => {
  it('accepts solved work once, then refuses it as spent', async () => {
    const { challenges } = setUp();
    const c = challenges.issue();
    expect(c.difficulty).toBe(BITS);
    const nonce = (await powSolve(c.challenge, BITS))!;
    expect(await challenges.verify(c.challenge, nonce)).toEqual({ ok: true });
    expect(await challenges.verify(c.challenge, nonce)).toMatchObject({ ok: false, reason: 'spent' });
  });

  it('refuses a nonce that does not solve it', async () => {
    const { challenges } = setUp();
    // powSolve returns the lowest base-36 counter that works, so "0" fails whenever that is not "0"
    let c = challenges.issue();
    while ((await powSolve(c.challenge, BITS)) === '0') c = challenges.issue();
    expect(await challenges.verify(c.challenge, '0')).toMatchObject({ ok: false, reason: 'unsolved' });
  });

  it('refuses a challenge it did not sign, or one with its time changed', async () => {
    const { challenges } = setUp();
    const other = setUp('another-secret').challenges.issue();
    expect(await challenges.verify(other.challenge, '0')).toMatchObject({ ok: false, reason: 'forged' });
    const mine = challenges.issue().challenge.split('.');
    mine[1] = (parseInt(mine[1]!, 36) + 60_000).toString(36); // a later issue time: a longer life
    expect(await challenges.verify(mine.join('.'), '0')).toMatchObject({ ok: false, reason: 'forged' });
    for (const junk of ['', 'v1', 'v2.a.b.c', 'v1.!!.b.c', 42, null]) {
      expect(await challenges.verify(junk, '0')).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses a challenge older than its TTL', async () => {
    const { challenges, advance } = setUp();
    const c = challenges.issue();
    const nonce = (await powSolve(c.challenge, BITS))!;
    advance(CHALLENGE_TTL_MS);
    expect(await challenges.verify(c.challenge, nonce)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('is accepted by another replica with the same secret, and spent there', async () => {
    const spent = new MemorySpentChallenges();
    const a = new Challenges({ secret: 's', difficulty: BITS, spent });
    const b = new Challenges({ secret: 's', difficulty: BITS, spent });
    const c = a.issue();
    const nonce = (await powSolve(c.challenge, BITS))!;
    expect(await b.verify(c.challenge, nonce)).toEqual({ ok: true });
    expect(await a.verify(c.challenge, nonce)).toMatchObject({ reason: 'spent' });
  });
});

describe('the spent list', () => {
  it('forgets expired challenges to make room, and refuses (never forgets a live one) when full', () => {
    let now = 0;
    const spent = new MemorySpentChallenges(3, () => now);
    expect(spent.claim('a', 100)).toBe(true);
    expect(spent.claim('b', 200)).toBe(true);
    expect(spent.claim('c', 300)).toBe(true);
    expect(() => spent.claim('d', 400)).toThrow(ChallengeBusyError);
    now = 150; // a has expired
    expect(spent.claim('d', 400)).toBe(true);
    expect(spent.size()).toBe(3);
    expect(spent.claim('b', 200), 'b is still live: spent').toBe(false);
  });
});
