// The sign-in limiter's rules as a suite, run against the in-memory limiter (login-limiter.test.ts) and
// the Redis one of cluster mode (tests/integration/redis-login-limiter.test.ts): per (username, address)
// the first 5 failures are free and then each attempt waits a delay that doubles from 30 s up to 15 min,
// while the same username from another address is not slowed; one address over many usernames has a
// separate cap of 20 (one more a minute) that users who signed in from there before pass; one attempt
// per pair at a time and attempts in flight count, so parallel guesses cannot outrun it; IPv6 counts per
// /64; what is held stays bounded.
import { describe, expect, it } from 'vitest';
import { addressKey, type LimitDecision, type LimiterOptions, type SignInLimiter } from './login-limiter.js';

const MIN = 60_000;

/** A limiter on a clock the test moves. */
export type MakeLimiter = (o?: Pick<LimiterOptions, 'maxKeys'>) => Promise<{ l: SignInLimiter; advance(ms: number): void }>;

/** One attempt that fails (asserting it was allowed). */
async function fail(l: SignInLimiter, ip: string, user: string): Promise<void> {
  const d = await l.begin(ip, user);
  if (!d.allowed) throw new Error(`attempt by ${user} from ${ip} refused: ${JSON.stringify(d)}`);
  await d.attempt.fail();
}
const refusal = (d: LimitDecision) => (d.allowed ? null : { retryAfterS: d.retryAfterS, reason: d.reason });

export function limiterCases(name: string, make: MakeLimiter): void {
  describe(`${name}, per username and address`, () => {
    it('lets 5 failures through, then makes each attempt wait a delay that doubles, up to 15 minutes', async () => {
      const { l, advance } = await make();
      for (let i = 0; i < 5; i++) await fail(l, '10.0.0.1', 'operator');
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        const d = refusal(await l.begin('10.0.0.1', 'operator'))!;
        expect(d.reason).toBe('backoff');
        waits.push(d.retryAfterS);
        advance(d.retryAfterS * 1000 - 1000);
        expect((await l.begin('10.0.0.1', 'operator')).allowed).toBe(false); // not a second early
        advance(1000);
        await fail(l, '10.0.0.1', 'operator');
      }
      expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    });

    it('does not slow the same username from another address (the right password still gets in there)', async () => {
      const { l } = await make();
      for (let i = 0; i < 5; i++) await fail(l, '203.0.113.7', 'operator');
      expect((await l.begin('203.0.113.7', 'operator')).allowed).toBe(false);
      const elsewhere = await l.begin('198.51.100.9', 'operator');
      expect(elsewhere.allowed).toBe(true);
    });

    it('a success clears the back-off of that username at that address', async () => {
      const { l } = await make();
      for (let i = 0; i < 4; i++) await fail(l, '10.0.0.1', 'viewer');
      const ok = await l.begin('10.0.0.1', 'viewer');
      if (!ok.allowed) throw new Error('refused');
      await ok.attempt.succeed();
      for (let i = 0; i < 5; i++) await fail(l, '10.0.0.1', 'viewer'); // five free again
      expect((await l.begin('10.0.0.1', 'viewer')).allowed).toBe(false);
    });

    it('forgets a pair after an hour without failures', async () => {
      const { l, advance } = await make();
      for (let i = 0; i < 7; i++) {
        await fail(l, '10.0.0.1', 'viewer');
        advance(20 * MIN); // past any delay so far
      }
      advance(60 * MIN);
      for (let i = 0; i < 5; i++) await fail(l, '10.0.0.1', 'viewer');
    });

    it('allows one attempt at a time per pair', async () => {
      const { l } = await make();
      const first = await l.begin('10.0.0.1', 'viewer');
      expect(first.allowed).toBe(true);
      expect(refusal(await l.begin('10.0.0.1', 'viewer'))).toEqual({ retryAfterS: 1, reason: 'in_progress' });
      expect((await l.begin('10.0.0.2', 'viewer')).allowed).toBe(true); // the control: another pair
      if (first.allowed) await first.attempt.fail();
      expect((await l.begin('10.0.0.1', 'viewer')).allowed).toBe(true);
    });
  });

  describe(`${name}, per address`, () => {
    it('caps failures from one address over all usernames at 20, one more allowed each minute', async () => {
      const { l, advance } = await make();
      for (let i = 0; i < 20; i++) await fail(l, '10.1.1.1', `user-${i}`);
      const capped = refusal(await l.begin('10.1.1.1', 'user-20'))!;
      expect(capped.reason).toBe('address');
      expect(capped.retryAfterS).toBe(60);
      expect((await l.begin('10.1.1.2', 'user-20')).allowed).toBe(true); // the control: another address
      advance(MIN);
      await fail(l, '10.1.1.1', 'user-20');
      expect((await l.begin('10.1.1.1', 'user-21')).allowed).toBe(false);
    });

    it('lets users who signed in from the address before through its cap (their own back-off still applies)', async () => {
      const { l } = await make();
      const ok = await l.begin('10.1.1.1', 'viewer');
      if (!ok.allowed) throw new Error('refused');
      await ok.attempt.succeed();
      for (let i = 0; i < 20; i++) await fail(l, '10.1.1.1', `user-${i}`);
      expect((await l.begin('10.1.1.1', 'admin')).allowed).toBe(false);
      for (let i = 0; i < 5; i++) await fail(l, '10.1.1.1', 'viewer');
      expect(refusal(await l.begin('10.1.1.1', 'viewer'))?.reason).toBe('backoff');
    });

    it('counts attempts in flight, so parallel guesses cannot outrun the cap; abandoned ones are given back', async () => {
      const { l } = await make();
      const inFlight = await Promise.all(Array.from({ length: 20 }, (_, i) => l.begin('10.1.1.1', `user-${i}`)));
      expect(inFlight.every((d) => d.allowed)).toBe(true);
      expect(refusal(await l.begin('10.1.1.1', 'user-20'))?.reason).toBe('address');
      for (const d of inFlight) if (d.allowed) await d.attempt.abandon();
      expect((await l.begin('10.1.1.1', 'user-20')).allowed).toBe(true);
    });

    it('counts IPv6 addresses per /64 and IPv4-mapped IPv6 as IPv4', async () => {
      expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
      expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
      expect(addressKey('::ffff:192.0.2.1')).toBe(addressKey('192.0.2.1'));
      expect(addressKey('192.0.2.1')).not.toBe(addressKey('192.0.2.2'));
      const { l } = await make();
      for (let i = 0; i < 20; i++) await fail(l, `2001:db8:1:2::${(i + 1).toString(16)}`, `user-${i}`);
      expect((await l.begin('2001:db8:1:2:ffff::1', 'user-20')).allowed).toBe(false);
      expect((await l.begin('2001:db8:1:3::1', 'user-20')).allowed).toBe(true);
    });

    it('keeps at most maxKeys keys of each kind', async () => {
      const { l } = await make({ maxKeys: 100 });
      for (let i = 0; i < 1000; i++) await fail(l, `10.0.${i >> 8}.${i & 255}`, `user-${i}`);
      expect(await l.size()).toBeLessThanOrEqual(300);
      expect(await l.size()).toBeGreaterThan(0);
    });
  });
}
