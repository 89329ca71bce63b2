// Proves absence rules catch a never-heard device, a device gone quiet and an offline status, clear on recovery, and report each once.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const S = 1000;
const M = 60_000;
const G1: RuleDevice = { id: 'gas-1', kind: 'gas', grid: 'g-001', district: 'jianghan' };
const G2: RuleDevice = { id: 'gas-2', kind: 'gas', grid: 'g-002', district: 'wuchang' };
const G3: RuleDevice = { id: 'gas-3', kind: 'gas', grid: 'g-003', district: 'hongshan' };
const reading = (device: RuleDevice, ts: number): Observation => ({ type: 'reading', device, ts, metrics: { ch4: 1 } });
const status = (device: RuleDevice, ts: number, online: boolean): Observation => ({ type: 'status', device, ts, online });

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
const silentRule = () => createEvaluator(ruleSchema.parse({
  id: 'sensor-silent', kind: 'absence', match: { kind: 'gas' }, after: '5m', severity: 'blue',
}), [G1, G2]);

describe('absence', () => {
  it('fires for devices never heard from, counted from the evaluator start, once', () => {
    const ev = silentRule();
    const start = 1_000_000;
    expect(ev.tick(start)).toEqual([]);
    expect(ev.tick(start + 5 * M - S)).toEqual([]);
    const fired = ev.tick(start + 5 * M);
    expect(fired.map((c) => [c.key, c.status, c.grid, c.district])).toEqual([
      ['gas-1', 'active', 'g-001', 'jianghan'], ['gas-2', 'active', 'g-002', 'wuchang'],
    ]);
    expect(fired[0]).toMatchObject({ devices: ['gas-1'], values: { silent_min: 5 }, detail: 'no data since monitoring started 5 min ago' });
    for (let t = 1; t < 120; t++) expect(ev.tick(start + 5 * M + t * S)).toEqual([]);
  });

  it('fires for a device that goes quiet and clears when data comes back', () => {
    const ev = silentRule();
    ev.tick(0);
    expect(ev.observe(reading(G1, M), M)).toEqual([]);
    expect(only(ev.tick(5 * M)).key).toBe('gas-2'); // gas-1 was heard at 1 min
    expect(ev.tick(6 * M - S)).toEqual([]);
    const quiet = only(ev.tick(6 * M));
    expect(quiet).toMatchObject({ key: 'gas-1', status: 'active', values: { silent_min: 5 }, detail: 'no data for 5 min' });
    expect(ev.tick(8 * M)).toEqual([]); // values are not refreshed every minute
    const back = only(ev.observe(reading(G1, 8 * M), 8 * M));
    expect(back).toMatchObject({ key: 'gas-1', status: 'clear', detail: 'data again after 7 min of silence' });
    expect(ev.observe(reading(G1, 8 * M + S), 8 * M + S)).toEqual([]);
    expect(ev.tick(13 * M)).toEqual([]);
    expect(only(ev.tick(13 * M + S)).key).toBe('gas-1'); // silent again for 5 min after the last reading
  });

  it('counts camera events and online statuses as signs of life', () => {
    const ev = silentRule();
    ev.tick(0);
    ev.observe({ type: 'event', device: G1, ts: 4 * M, event: 'smoke_fire', confidence: 0.9, count: 1 }, 4 * M);
    ev.observe(status(G2, 4 * M, true), 4 * M);
    expect(ev.tick(8 * M)).toEqual([]);
  });

  it('fires at once when the device goes offline and clears when it is back online', () => {
    const ev = silentRule();
    ev.tick(0);
    ev.observe(reading(G1, M), M);
    const off = only(ev.observe(status(G1, 2 * M, false), 2 * M));
    expect(off).toMatchObject({ key: 'gas-1', status: 'active', values: { silent_min: 1, online: false }, detail: 'device went offline' });
    expect(ev.observe(status(G1, 2 * M, false), 2 * M)).toEqual([]); // a retained status repeated
    expect(ev.tick(30 * M).map((c) => c.key)).toEqual(['gas-2']); // gas-1 stays as it is
    const on = only(ev.observe(status(G1, 31 * M, true), 31 * M));
    expect(on).toMatchObject({ key: 'gas-1', status: 'clear', detail: 'device back online' });
    expect(ev.observe(reading(G1, 31 * M + S), 31 * M + S)).toEqual([]);
  });

  it('turns a silent alert into an offline one when the will arrives', () => {
    const ev = silentRule();
    ev.tick(0);
    expect(ev.tick(5 * M)).toHaveLength(2);
    const update = only(ev.observe(status(G2, 6 * M, false), 6 * M));
    expect(update).toMatchObject({ key: 'gas-2', status: 'active', values: { online: false }, detail: 'device went offline' });
  });

  it('watches a device it was not created with once it is observed', () => {
    const ev = silentRule();
    ev.tick(0);
    ev.observe(reading(G3, M), M);
    expect(ev.tick(6 * M).map((c) => c.key).sort()).toEqual(['gas-1', 'gas-2', 'gas-3']);
  });
});
