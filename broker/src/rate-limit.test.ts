// Proves the per-device budget: bursts up to the bucket, then the sustained rate; devices apart;
// refusals reported at once, then summed up every 10 s rather than one report per message.
import { describe, expect, it } from 'vitest';
import { DeviceRateLimit, MAX_HOLD_MS, REPORT_EVERY_MS } from './rate-limit.js';

function limiter(perSecond = 10, burst = 20) {
  let now = 1_000_000;
  const reports: [string, number, boolean][] = [];
  const l = new DeviceRateLimit({ perSecond, burst, report: (d, n, first) => reports.push([d, n, first]), now: () => now });
  return { l, reports, advance: (ms: number) => { now += ms; } };
}
const sent = (l: DeviceRateLimit, device: string, n: number) => Array.from({ length: n }, () => l.allow(device)).filter(Boolean).length;

describe('DeviceRateLimit', () => {
  it('lets a burst through up to the bucket, then the sustained rate', () => {
    const { l, advance } = limiter(10, 20);
    expect(sent(l, 'wl-1', 50)).toBe(20);
    advance(1000);
    expect(sent(l, 'wl-1', 50)).toBe(10);
    advance(100);
    expect(sent(l, 'wl-1', 5)).toBe(1);
    l.close();
  });

  it('holds an over-budget device for the time its budget needs to pay for the excess, at most MAX_HOLD_MS, and not a device within it', () => {
    const { l, advance } = limiter(10, 20);
    expect(sent(l, 'wl-1', 20)).toBe(20);
    expect(l.holdMs('wl-1')).toBe(0);
    expect(sent(l, 'wl-1', 5)).toBe(0);
    expect(l.holdMs('wl-1')).toBe(500); // 5 over at 10 a second
    expect(sent(l, 'wl-1', 1000)).toBe(0);
    expect(l.holdMs('wl-1')).toBe(MAX_HOLD_MS);
    expect(l.holdMs('wl-2')).toBe(0);
    advance(1000);
    expect(sent(l, 'wl-1', 1)).toBe(1); // room again: no debt
    expect(l.holdMs('wl-1')).toBe(0);
    l.close();
  });

  it("scales a budget by the given factor (a gateway's connection with its children)", () => {
    const { l, advance } = limiter(10, 20);
    const sentScaled = (n: number) => Array.from({ length: n }, () => l.allow('gw-1', 3)).filter(Boolean).length;
    expect(sentScaled(60)).toBe(60); // bursts of 3 x 20
    advance(1000);
    expect(sentScaled(33)).toBe(30); // 3 x 10 a second
    expect(l.holdMs('gw-1', 3)).toBe(100); // 3 over at 30 a second
    l.close();
  });

  it('keeps each device to its own budget', () => {
    const { l } = limiter(10, 20);
    expect(sent(l, 'wl-1', 100)).toBe(20);
    expect(sent(l, 'wl-2', 5)).toBe(5);
    l.close();
  });

  it('reports the first refusal at once, then one summed-up report per 10 s, and the rest on flush', () => {
    const { l, reports, advance } = limiter(10, 20);
    sent(l, 'wl-1', 20 + 100); // 100 refused
    expect(reports).toEqual([['wl-1', 1, true]]);
    for (let s = 0; s < 10; s++) {
      advance(1000);
      sent(l, 'wl-1', 1000); // 100× the budget
    }
    expect(reports).toHaveLength(2);
    expect(reports[1]![0]).toBe('wl-1');
    expect(reports[1]![2]).toBe(false);
    advance(REPORT_EVERY_MS / 2);
    sent(l, 'wl-1', 300);
    l.flush();
    const refused = reports.reduce((n, r) => n + r[1], 0);
    // everything refused is in some report: 100 + 10 × (1000 − 10) + (300 − a full bucket of 20)
    expect(refused).toBe(100 + 10 * 990 + 280);
    l.close();
  });

  it('is off at 0 messages a second', () => {
    const { l, reports } = limiter(0, 1);
    expect(sent(l, 'wl-1', 10_000)).toBe(10_000);
    l.close(); // flushes: nothing held back to report either
    expect(reports).toEqual([]);
  });
});
