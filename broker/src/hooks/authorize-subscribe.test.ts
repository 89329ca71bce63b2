// Proves the service account's subscription check: a filter is allowed only when the server's own subscription covers every topic it can match.
import { describe, expect, it } from 'vitest';
import { covers } from './authorize-subscribe.js';

describe('covers', () => {
  it('allows the same filter or a narrower one, nothing wider or elsewhere', () => {
    const allowed = 'city/v1/devices/+/telemetry';
    expect(covers(allowed, allowed)).toBe(true);
    expect(covers(allowed, 'city/v1/devices/wl-1/telemetry')).toBe(true);
    for (const f of ['#', 'city/#', 'city/v1/devices/#', 'city/v1/devices/+/+', 'city/v1/devices/+/rejections', 'city/v1/devices/+/telemetry/#', 'city/v1/devices/#/telemetry', '+/v1/devices/+/telemetry']) {
      expect(covers(allowed, f), f).toBe(false);
    }
    expect(covers('city/v1/broker/rejections', 'city/v1/broker/rejections')).toBe(true);
    expect(covers('city/v1/broker/rejections', 'city/v1/broker/+')).toBe(false);
  });
});
