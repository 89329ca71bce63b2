// Proves the sign-in limiter: 5 failures within 5 min per IP or per username lock further attempts with
// a Retry-After until the oldest failure ages out; success clears the username only; memory stays bounded.
import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

const MIN = 60_000;

function limiter(maxKeys?: number) {
  let now = 1_000_000;
  const l = new LoginLimiter({ now: () => now, ...(maxKeys ? { maxKeys } : {}) });
  return { l, advance: (ms: number) => { now += ms; } };
}

describe('LoginLimiter', () => {
  it('allows 5 failures, refuses the 6th attempt, and allows again once the window has passed', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 5; i++) {
      expect(l.check('10.0.0.1', 'viewer')).toEqual({ allowed: true });
      l.fail('10.0.0.1', 'viewer');
      advance(10_000);
    }
    const refused = l.check('10.0.0.1', 'viewer');
    expect(refused).toEqual({ allowed: false, retryAfterS: 250 }); // the first failure was 50 s ago
    advance(250_000);
    expect(l.check('10.0.0.1', 'viewer')).toEqual({ allowed: true });
  });

  it('counts per username across addresses, and per address across usernames', () => {
    const { l } = limiter();
    for (let i = 0; i < 5; i++) l.fail(`10.0.0.${i}`, 'admin');
    expect(l.check('10.9.9.9', 'admin').allowed).toBe(false);
    expect(l.check('10.9.9.9', 'operator').allowed).toBe(true);
    for (let i = 0; i < 5; i++) l.fail('10.1.1.1', `guess-${i}`);
    expect(l.check('10.1.1.1', 'someone-else').allowed).toBe(false);
    expect(l.check('10.1.1.2', 'someone-else').allowed).toBe(true);
  });

  it('forgets failures older than 5 minutes', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 4; i++) l.fail('10.0.0.1', 'viewer');
    advance(5 * MIN);
    l.fail('10.0.0.1', 'viewer');
    expect(l.check('10.0.0.1', 'viewer').allowed).toBe(true);
  });

  it('a success clears the username, not the address', () => {
    const { l } = limiter();
    for (let i = 0; i < 4; i++) l.fail('10.0.0.1', 'viewer');
    l.succeed('10.0.0.1', 'viewer');
    l.fail('10.0.0.1', 'viewer');
    expect(l.check('10.0.0.2', 'viewer').allowed).toBe(true);
    expect(l.check('10.0.0.1', 'x').allowed).toBe(false); // the address has 5
  });

  it('keeps at most maxKeys keys', () => {
    const { l } = limiter(100);
    for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`, `user-${i}`);
    expect(l.size()).toBeLessThanOrEqual(100);
  });
});
