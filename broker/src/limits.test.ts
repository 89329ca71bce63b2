// Proves the packet limit's arithmetic and how client addresses are recognised and keyed for the per-address limits.
import { describe, expect, it } from 'vitest';
import { MAX_PACKET_BYTES, MAX_PREAUTH_BYTES, addressKey, isLoopback, resolveLimits } from './limits.js';

describe('limits', () => {
  it('allow the largest contract PUBLISH (64 KiB payload, longest topic, packet id) and no more', () => {
    expect(MAX_PACKET_BYTES).toBe(65_536 + 2 + 65_535 + 2);
    expect(MAX_PREAUTH_BYTES).toBeLessThan(MAX_PACKET_BYTES);
  });

  it('recognise loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '']) expect(isLoopback(a), a).toBe(false);
  });

  it('key IPv4 by address and IPv6 by /64', () => {
    expect(addressKey('192.0.2.9')).toBe('192.0.2.9');
    expect(addressKey('::ffff:192.0.2.9')).toBe('192.0.2.9');
    expect(addressKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });

  it('fill what is not given from the defaults, nested ones too', () => {
    const l = resolveLimits({ connectRate: { burst: 3 }, loginBackoff: { firstMs: 5 } });
    expect(l.connectRate).toEqual({ perSecond: 10, burst: 3 });
    expect(l.loginBackoff).toMatchObject({ freeFailures: 5, firstMs: 5 });
    expect(l.sessionExpiryMs).toBe(86_400_000);
  });
});
