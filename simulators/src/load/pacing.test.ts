// Proves the load generator's pacing, percentiles, saturation search and progress bar.
import { describe, expect, it } from 'vitest';
import { Pacer, percentile, progressBar, searchSaturation } from './pacing.js';

describe('Pacer', () => {
  it('hands out rate × elapsed, minus what was taken', () => {
    const p = new Pacer(1000, 0);
    expect(p.due(0)).toBe(0);
    expect(p.due(10)).toBe(10);
    p.take(8);
    expect(p.due(10)).toBe(2);
    expect(p.due(1000)).toBe(992);
  });
  it('caps a burst after a stall and forgets the rest', () => {
    const p = new Pacer(10_000, 0, 100);
    expect(p.due(1000)).toBe(100);
    p.take(100);
    expect(p.due(1000)).toBe(0);
    expect(p.due(1001)).toBe(10);
  });
  it('is unlimited at an infinite rate', () => {
    expect(new Pacer(Number.POSITIVE_INFINITY, 0).due(0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('percentile', () => {
  it('picks nearest-rank values', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile(xs, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('searchSaturation', () => {
  it('grows while it holds, then bisects to the limit', async () => {
    const limit = 37_000;
    const r = await searchSaturation(async (rate) => rate <= limit, { start: 20_000, max: 100_000, grow: 1.5, precision: 0.05, maxSteps: 12, round: 1000 });
    expect(r.best).toBeLessThanOrEqual(limit);
    expect(r.best).toBeGreaterThan(limit * 0.93);
    expect(r.steps[0]).toEqual({ rate: 20_000, ok: true });
    expect(r.steps[1]).toEqual({ rate: 30_000, ok: true });
  });
  it('goes down when the first step fails, and stops after maxSteps', async () => {
    const r = await searchSaturation(async (rate) => rate <= 5_000, { start: 20_000, max: 50_000, maxSteps: 3, round: 1000 });
    expect(r.steps.map((s) => s.rate)).toEqual([20_000, 10_000, 5_000]);
    expect(r.best).toBe(5_000);
  });
  it('stops at max when everything holds', async () => {
    const r = await searchSaturation(async () => true, { start: 10_000, max: 20_000, grow: 1.5, maxSteps: 10, round: 1000 });
    expect(r.best).toBe(20_000);
    expect(r.steps.map((s) => s.rate)).toEqual([10_000, 15_000, 20_000]);
  });
});

describe('progressBar', () => {
  it('draws the share done', () => {
    expect(progressBar(50, 100, 10, 'connected')).toBe('[#####-----]  50% 50/100 connected');
    expect(progressBar(100_000, 100_000, 4)).toBe('[####] 100% 100,000/100,000');
  });
});
