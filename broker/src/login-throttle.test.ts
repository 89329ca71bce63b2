// Proves the login back-off: free failures, then a wait doubling per failure up to the cap, per address (IPv6 by /64), forgotten after a quiet spell, and not wiped by a success.
import { afterEach, describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

let now = 1_000_000;
const throttles: LoginThrottle[] = [];
const make = () => {
  const t = new LoginThrottle({ freeFailures: 3, firstMs: 1000, maxMs: 8000, forgetMs: 60_000, now: () => now });
  throttles.push(t);
  return t;
};
afterEach(() => throttles.splice(0).forEach((t) => t.close()));

describe('LoginThrottle', () => {
  it('backs an address off once its free failures are used, doubling up to the cap', () => {
    const t = make();
    expect([t.failed('203.0.113.7'), t.failed('203.0.113.7')]).toEqual([0, 0]);
    expect(t.wait('203.0.113.7')).toBe(0);
    expect(t.failed('203.0.113.7')).toBe(1000); // the third failure starts the back-off
    expect(t.wait('203.0.113.7')).toBe(1000);
    now += 400;
    expect(t.wait('203.0.113.7')).toBe(600);
    expect([t.failed('203.0.113.7'), t.failed('203.0.113.7'), t.failed('203.0.113.7'), t.failed('203.0.113.7')]).toEqual([2000, 4000, 8000, 8000]);
    // another address is not affected
    expect(t.wait('203.0.113.8')).toBe(0);
  });

  it('counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4', () => {
    const t = make();
    for (let i = 1; i <= 3; i++) t.failed(`2001:db8:1:2::${i}`);
    expect(t.wait('2001:db8:1:2:ffff::9')).toBe(1000);
    expect(t.wait('2001:db8:1:3::1')).toBe(0);
    for (let i = 0; i < 3; i++) t.failed('::ffff:198.51.100.4');
    expect(t.wait('198.51.100.4')).toBe(1000);
  });

  it('forgets failures after a quiet spell, not before', () => {
    const t = make();
    for (let i = 0; i < 3; i++) t.failed('192.0.2.1');
    now += 59_000;
    expect(t.failures('192.0.2.1')).toBe(3);
    now += 2_000;
    expect(t.failures('192.0.2.1')).toBe(0);
    expect(t.failed('192.0.2.1')).toBe(0);
  });
});
