// Proves replay's cell statuses: a sensor's bucket is judged by its worst value (a spike within a
// bucket is not lost, a boolean alarm too), a sensor stays online in its last condition while it
// reported within the window and is offline after, the lookback gives the state at the start, and the
// cells roll up by the live map's rule and are sent only where they change.
import { describe, expect, it } from 'vitest';
import type { BucketPoint } from '@citygrid/contract';
import { cellSeries, sensorBuckets, type BucketGrid } from './cells.js';

const STEP = 60_000;
const START = 1_000 * STEP; // a multiple of the step, as the router aligns it
const p = (bucket: number, min: number, max: number, count = 1): BucketPoint => ({ ts: START + bucket * STEP, mean: (min + max) / 2, min, max, count });
const states = (s: { states: Uint8Array }) => [...s.states].map((i) => ['ok', 'warn', 'alarm', 'offline'][i]);

describe('sensorBuckets', () => {
  const grid: BucketGrid = { start: START, step: STEP, lookback: 2, buckets: 6 };

  it('judges each bucket by its worst value, carries the last condition while the sensor is in its window, then says offline', () => {
    // water_level level_cm: warn at 20, alarm at 30. Readings in lookback bucket 1, then buckets 3 and 4 (replayed 1 and 2).
    const s = sensorBuckets('water_level', [{ metric: 'level_cm', points: [p(1, 21, 22), p(3, 10, 31, 3), p(4, 5, 6, 2)] }], grid, 3);
    // replayed bucket 0 = bucket 2: no readings, last was warn (bucket 1, 1 bucket ago) -> warn
    // 1: a spike to 31 within the bucket -> alarm; 2: back to ok; 3, 4: carried (within 3 buckets); 5: 3 buckets since -> offline
    expect(states(s)).toEqual(['warn', 'alarm', 'ok', 'ok', 'ok', 'offline']);
    expect([...s.readings]).toEqual([0, 3, 2, 0, 0, 0]);
  });

  it('is offline from the start when it never reported, and judges a boolean alarm by its values', () => {
    expect(states(sensorBuckets('gas', [], grid, 3))).toEqual(Array(6).fill('offline'));
    // manhole_cover open: alarm when true (stored as 1); a bucket where it was open at any time is alarm
    const s = sensorBuckets('manhole_cover', [{ metric: 'open', points: [p(2, 0, 0), p(3, 0, 1), p(4, 0, 0)] }], grid, 10);
    expect(states(s).slice(0, 3)).toEqual(['ok', 'alarm', 'ok']);
  });

  it('ignores metrics the kind does not have and points outside the buckets', () => {
    const s = sensorBuckets('water_level', [{ metric: 'pm25', points: [p(2, 500, 500)] }, { metric: 'level_cm', points: [p(-5, 50, 50), p(40, 50, 50)] }], grid, 3);
    expect(states(s)).toEqual(Array(6).fill('offline'));
  });
});

describe('cellSeries', () => {
  const grid: BucketGrid = { start: START, step: STEP, lookback: 0, buckets: 4 };
  const level = (points: BucketPoint[]) => sensorBuckets('water_level', [{ metric: 'level_cm', points }], grid, 2);

  it('rolls each cell up as the live map does, and sends a cell only where it changes', async () => {
    const a1 = level([p(0, 5, 5), p(1, 5, 5), p(2, 25, 25), p(3, 5, 5)]); // ok ok warn ok
    const a2 = level([p(0, 5, 5), p(1, 35, 35)]); // ok alarm alarm offline
    const b1 = level([]); // offline throughout
    const out = await cellSeries(['a', 'b', 'c'], [{ grid: 'a', buckets: a1 }, { grid: 'a', buckets: a2 }, { grid: 'b', buckets: b1 }], 4);
    expect(out.cells.a).toEqual([
      [0, 'ok', 2, 2, 0, 0],
      [1, 'alarm', 2, 2, 1, 0],
      [2, 'alarm', 2, 2, 1, 1],
      [3, 'ok', 2, 1, 0, 0],
    ]);
    expect(out.cells.b).toEqual([[0, 'offline', 1, 0, 0, 0]]);
    expect(out.cells.c).toEqual([[0, 'none', 0, 0, 0, 0]]);
    expect(out.online).toEqual([2, 2, 2, 1]);
    expect(out.readings).toEqual([2, 2, 1, 1]);
  });
});
