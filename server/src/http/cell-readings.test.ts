// Proves a cell's series are what its devices measured: numeric metrics only, each with its devices, and
// buckets merged with count-weighted means, the lowest min and the highest max.
import { describe, expect, it } from 'vitest';
import { cellMetrics, mergeBuckets } from './cell-readings.js';

describe('cellMetrics', () => {
  it('lists the numeric metrics of the devices, each with the devices that measure it', () => {
    const metrics = cellMetrics([
      { id: 'wl-1', kind: 'water_level' }, { id: 'mh-1', kind: 'manhole_cover' }, { id: 'wl-2', kind: 'water_level' }, { id: 'cam-1', kind: 'camera' },
    ]);
    // the cover's `open` is boolean: not charted; the camera has no metrics
    expect(metrics).toEqual([
      { metric: 'tilt_deg', kind: 'manhole_cover', unit: '°', devices: ['mh-1'] },
      { metric: 'level_cm', kind: 'water_level', unit: 'cm', devices: ['wl-1', 'wl-2'] },
    ]);
  });

  it('keeps the catalogue order of a kind', () => {
    expect(cellMetrics([{ id: 'aq', kind: 'air_quality' }]).map((m) => m.metric)).toEqual(['pm25', 'pm10', 'no2', 'o3']);
  });
});

describe('mergeBuckets', () => {
  it('weights each mean by its reading count and keeps the extremes', () => {
    const merged = mergeBuckets([
      [{ ts: 0, mean: 10, min: 8, max: 12, count: 3 }, { ts: 300_000, mean: 20, min: 20, max: 20, count: 1 }],
      [{ ts: 0, mean: 30, min: 5, max: 31, count: 1 }],
    ]);
    expect(merged).toEqual([
      { ts: 0, mean: 15, min: 5, max: 31, count: 4 }, // (10·3 + 30·1) / 4
      { ts: 300_000, mean: 20, min: 20, max: 20, count: 1 },
    ]);
  });

  it('orders the buckets by time whatever order the devices came in', () => {
    const merged = mergeBuckets([[{ ts: 600_000, mean: 1, min: 1, max: 1, count: 1 }], [{ ts: 0, mean: 2, min: 2, max: 2, count: 2 }]]);
    expect(merged.map((p) => p.ts)).toEqual([0, 600_000]);
  });

  it('is empty without points', () => {
    expect(mergeBuckets([])).toEqual([]);
    expect(mergeBuckets([[], []])).toEqual([]);
  });
});
