// Proves the one-time test credentials (the server's "send test reading"): valid once, only for the
// device they were minted for, only within their lifetime, and never more than MAX_TEST_CREDENTIALS outstanding.
import { describe, expect, it } from 'vitest';
import { MAX_TEST_CREDENTIALS, TEST_CREDENTIAL_TTL_MS, TestCredentials } from './test-credentials.js';

describe('TestCredentials', () => {
  it('takes a credential once, for its own device only', () => {
    const c = new TestCredentials();
    const secret = c.mint('wl-0001')!;
    expect(c.take('wl-0002', secret)).toBe(false); // another device
    expect(c.take('wl-0001', `${secret}x`)).toBe(false); // not it
    expect(c.take('wl-0001', 'demo-wl-0001')).toBe(false); // a device's own secret is not a test credential
    expect(c.take('wl-0001', secret)).toBe(true);
    expect(c.take('wl-0001', secret)).toBe(false); // spent
    expect(c.size()).toBe(0);
  });

  it('expires after its lifetime, and a revoked one is gone', () => {
    let now = 1_000;
    const c = new TestCredentials(() => now);
    const secret = c.mint('wl-0001')!;
    now += TEST_CREDENTIAL_TTL_MS + 1;
    expect(c.take('wl-0001', secret)).toBe(false);
    const other = c.mint('wl-0001')!;
    c.revoke('wl-0001', other);
    expect(c.take('wl-0001', other)).toBe(false);
  });

  it('refuses to mint beyond the cap until some expire', () => {
    let now = 0;
    const c = new TestCredentials(() => now);
    for (let i = 0; i < MAX_TEST_CREDENTIALS; i++) expect(c.mint(`d-${i}`)).not.toBeNull();
    expect(c.mint('one-more')).toBeNull();
    now += TEST_CREDENTIAL_TTL_MS + 1;
    expect(c.mint('one-more')).not.toBeNull();
    expect(c.size()).toBe(1);
  });
});
