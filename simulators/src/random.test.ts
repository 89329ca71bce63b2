// Proves the seeded randomness is reproducible and that episodes can be looked up at any instant.
import { describe, expect, it } from 'vitest';
import { episodeAt, Rng, smoothNoise } from './random.js';

describe('random', () => {
  it('repeats a stream for the same seed and stays in [0, 1)', () => {
    const a = new Rng(99);
    const b = new Rng(99);
    for (let i = 0; i < 1_000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('draws Poisson counts with the right mean', () => {
    const rng = new Rng(5);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += rng.poisson(0.7);
    expect(sum / 20_000).toBeCloseTo(0.7, 1);
  });

  it('gives smooth noise in [-1, 1] that changes slowly', () => {
    for (let t = 0; t < 100_000; t += 1_000) {
      const v = smoothNoise(1, 'k', t, 60_000);
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(Math.abs(smoothNoise(1, 'k', t + 100, 60_000) - v)).toBeLessThan(0.02);
    }
  });

  it('finds episodes by time alone, the same way every time', () => {
    const spec = { key: 'x', blockMs: 1_000, probability: 0.5, minMs: 300, maxMs: 900 };
    let found = 0;
    for (let t = 0; t < 100_000; t += 10) {
      const ep = episodeAt(3, spec, t);
      if (!ep) continue;
      found++;
      expect(t).toBeGreaterThanOrEqual(ep.start);
      expect(t).toBeLessThan(ep.end);
      const again = episodeAt(3, spec, t);
      expect([again?.start, again?.end]).toEqual([ep.start, ep.end]);
    }
    expect(found).toBeGreaterThan(0);
  });
});
