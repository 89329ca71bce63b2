// Proves the sign-in limiter: per (username, address) the first 5 failures are free and then each attempt waits a delay that doubles from 30 s up to 15 min, while the same username from another address is not slowed; one address over many usernames has a separate cap of 20 (one more a minute) that users who signed in from there before pass; one attempt per pair at a time and attempts in flight count, so parallel guesses cannot outrun it; IPv6 counts per /64; memory stays bounded.
import { describe, expect, it } from 'vitest';
import { addressKey, LoginLimiter, type LimitDecision } from './login-limiter.js';

const MIN = 60_000;

function limiter(o: { maxKeys?: number } = {}) {
  let now = 1_000_000;
  const l = new LoginLimiter({ now: () => now, ...o });
  return { l, advance: (ms: number) => { now += ms; } };
}

/** One attempt that fails (asserting it was allowed). */
function fail(l: LoginLimiter, ip: string, user: string): void {
  const d = l.begin(ip, user);
  if (!d.allowed) throw new Error(`attempt by ${user} from ${ip} refused: ${JSON.stringify(d)}`);
  d.attempt.fail();
}
const refusal = (d: LimitDecision) => (d.allowed ? null : { retryAfterS: d.retryAfterS, reason: d.reason });

describe('LoginLimiter, per username and address', () => {
  it('lets 5 failures through, then makes each attempt wait a delay that doubles, up to 15 minutes', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) fail(l, '10.0.0.1', 'operator');
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = refusal(l.begin('10.0.0.1', 'operator'))!;
      expect(d.reason).toBe('backoff');
      waits.push(d.retryAfterS);
      advance(d.retryAfterS * 1000 - 1000);
      expect(l.begin('10.0.0.1', 'operator').allowed).toBe(false); // not a second early
      advance(1000);
      fail(l, '10.0.0.1', 'operator');
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it('does not slow the same username from another address (the right password still gets in there)', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) fail(l, '203.0.113.7', 'operator');
    expect(l.begin('203.0.113.7', 'operator').allowed).toBe(false);
    const elsewhere = l.begin('198.51.100.9', 'operator');
    expect(elsewhere.allowed).toBe(true);
  });

  it('a success clears the back-off of that username at that address', () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) fail(l, '10.0.0.1', 'viewer');
    const ok = l.begin('10.0.0.1', 'viewer');
    if (!ok.allowed) throw new Error('refused');
    ok.attempt.succeed();
    for (let i = 0; i < 5; i++) fail(l, '10.0.0.1', 'viewer'); // five free again
    expect(l.begin('10.0.0.1', 'viewer').allowed).toBe(false);
  });

  it('forgets a pair after an hour without failures', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 7; i++) {
      fail(l, '10.0.0.1', 'viewer');
      advance(20 * MIN); // past any delay so far
    }
    advance(60 * MIN);
    for (let i = 0; i < 5; i++) fail(l, '10.0.0.1', 'viewer');
  });

  it('allows one attempt at a time per pair', () => {
    const { l } = limiter();
    const first = l.begin('10.0.0.1', 'viewer');
    expect(first.allowed).toBe(true);
    expect(refusal(l.begin('10.0.0.1', 'viewer'))).toEqual({ retryAfterS: 1, reason: 'in_progress' });
    expect(l.begin('10.0.0.2', 'viewer').allowed).toBe(true); // the control: another pair
    if (first.allowed) first.attempt.fail();
    expect(l.begin('10.0.0.1', 'viewer').allowed).toBe(true);
  });
});

describe('LoginLimiter, per address', () => {
  it('caps failures from one address over all usernames at 20, one more allowed each minute', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 20; i++) fail(l, '10.1.1.1', `user-${i}`);
    const capped = refusal(l.begin('10.1.1.1', 'user-20'))!;
    expect(capped.reason).toBe('address');
    expect(capped.retryAfterS).toBe(60);
    expect(l.begin('10.1.1.2', 'user-20').allowed).toBe(true); // the control: another address
    advance(MIN);
    fail(l, '10.1.1.1', 'user-20');
    expect(l.begin('10.1.1.1', 'user-21').allowed).toBe(false);
  });

  it('lets users who signed in from the address before through its cap (their own back-off still applies)', () => {
    const { l } = limiter();
    const ok = l.begin('10.1.1.1', 'viewer');
    if (!ok.allowed) throw new Error('refused');
    ok.attempt.succeed();
    for (let i = 0; i < 20; i++) fail(l, '10.1.1.1', `user-${i}`);
    expect(l.begin('10.1.1.1', 'admin').allowed).toBe(false);
    for (let i = 0; i < 5; i++) fail(l, '10.1.1.1', 'viewer');
    expect(refusal(l.begin('10.1.1.1', 'viewer'))?.reason).toBe('backoff');
  });

  it('counts attempts in flight, so parallel guesses cannot outrun the cap; abandoned ones are given back', () => {
    const { l } = limiter();
    const inFlight = Array.from({ length: 20 }, (_, i) => l.begin('10.1.1.1', `user-${i}`));
    expect(inFlight.every((d) => d.allowed)).toBe(true);
    expect(refusal(l.begin('10.1.1.1', 'user-20'))?.reason).toBe('address');
    for (const d of inFlight) if (d.allowed) d.attempt.abandon();
    expect(l.begin('10.1.1.1', 'user-20').allowed).toBe(true);
  });

  it('counts IPv6 addresses per /64 and IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.1')).toBe(addressKey('192.0.2.1'));
    expect(addressKey('192.0.2.1')).not.toBe(addressKey('192.0.2.2'));
    const { l } = limiter();
    for (let i = 0; i < 20; i++) fail(l, `2001:db8:1:2::${(i + 1).toString(16)}`, `user-${i}`);
    expect(l.begin('2001:db8:1:2:ffff::1', 'user-20').allowed).toBe(false);
    expect(l.begin('2001:db8:1:3::1', 'user-20').allowed).toBe(true);
  });

  it('keeps at most maxKeys keys of each kind', () => {
    const { l } = limiter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) fail(l, `10.0.${i >> 8}.${i & 255}`, `user-${i}`);
    expect(l.size()).toBeLessThanOrEqual(300);
    expect(l.size()).toBeGreaterThan(0);
  });
});
