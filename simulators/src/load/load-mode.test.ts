// Proves how load mode splits devices over worker processes.
import { describe, expect, it } from 'vitest';
import { connectionsPerWorker, split } from './load-mode.js';

describe('load mode workers', () => {
  it('keeps each worker below the open-files limit', () => {
    expect(connectionsPerWorker(20_000)).toBe(19_500);
    expect(connectionsPerWorker(1_048_576)).toBe(25_000);
    expect(connectionsPerWorker(null)).toBe(24_500);
    expect(connectionsPerWorker(256)).toBe(100);
  });
  it('splits into nearly equal consecutive slices', () => {
    expect(split([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2], [3, 4], [5, 6, 7]]);
    expect(split(Array.from({ length: 100_000 }, (_, i) => i), 6).map((s) => s.length).reduce((a, b) => a + b)).toBe(100_000);
  });
});
