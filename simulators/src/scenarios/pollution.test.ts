// Proves the pollution episode drifts across the demo city's districts west to east, in scenario time
// on an anchored clock: every station crosses pm25-heavy (>150 µg/m³ for 10 min) after the plume
// reaches its district, in the order of the drift, and the core crosses pm25-severe (>250 for 10 min);
// then it clears. Deterministic for a seed, valid payloads, the plume held longer at high speeds.
import { describe, expect, it } from 'vitest';
import { pickPollutionTargets } from './pollution.js';
import { checkPayloads, checkTimeline, demoDevices, MINUTE, phaseStart, series, start, thresholdFires, trace } from './test-support.js';

describe('pollution scenario on the demo city', () => {
  const run = start('pollution');
  const core = run.roles[0]!;
  const overs = run.timeline.filter((p) => p.phase.startsWith('over-'));

  it('takes up to two stations per district, a phase per district from west to east, and the core station', () => {
    const districts = new Set(run.roles.map((r) => r.district));
    expect(districts.size).toBeGreaterThanOrEqual(5);
    for (const d of districts) expect(run.roles.filter((r) => r.district === d).length).toBeLessThanOrEqual(2);
    expect(overs.map((p) => p.phase.slice(5)).sort()).toEqual([...districts].sort());
    expect(core.role).toBe('core');
    const devices = new Map(demoDevices().map((d) => [d.id, d]));
    const firstLng = overs.map((p) => Math.min(...run.roles.filter((r) => `over-${r.district}` === p.phase).map((r) => devices.get(r.id)!.location[0])));
    expect(firstLng).toEqual([...firstLng].sort((a, b) => a - b)); // west to east
    expect(checkTimeline(run)).toEqual([]);
    expect(run.timeline.slice(-2).map((p) => p.phase)).toEqual(['clearing', 'done']);
    expect(run.describe(overs[0]!.phase)).toMatch(/PM2.5 climbing to/);
  });

  it('turns every station heavy after the plume reaches its district, in the order of the drift', () => {
    const fired = run.roles.map((r) => {
      const over = phaseStart(run, `over-${r.district}`);
      const points = series(run, r.id, 'pm25', 30_000);
      const before = points.filter((p) => p.s < over);
      expect(before.length, `${r.id}: readings before the plume`).toBeGreaterThan(0);
      expect(before.every((p) => p.v < 120), r.id).toBe(true);
      const heavy = thresholdFires(points, 150, 10 * MINUTE);
      expect(heavy, r.id).toBeDefined();
      expect(heavy!).toBeGreaterThan(over);
      return { id: r.id, over, heavy: heavy! };
    });
    // every pair of stations whose districts the plume reaches 15+ min apart: 7 districts of 2
    // stations (the core one of jiangan's), 15 district pairs that far apart (see the timeline), so
    // 60 pairs, none skipped
    const pairs = fired.flatMap((a) => fired.filter((b) => b.over - a.over >= 15 * MINUTE).map((b) => [a, b] as const));
    expect(pairs).toHaveLength(60);
    for (const [a, b] of pairs) expect(a.heavy, `${a.id} before ${b.id}`).toBeLessThan(b.heavy);
  });

  it('is severe at the core only near it, and clears everywhere by the end', () => {
    const points = series(run, core.id, 'pm25', 30_000);
    expect(thresholdFires(points, 250, 10 * MINUTE)).toBeDefined();
    const edge = run.roles.map((r) => Math.max(...series(run, r.id, 'pm25', MINUTE).map((p) => p.v)));
    expect(Math.min(...edge)).toBeLessThan(250); // the plume thins out towards its edges
    for (const r of run.roles) {
      const last = series(run, r.id, 'pm25', 30_000).slice(-1)[0]!.v;
      expect(last, r.id).toBeLessThan(120);
      expect(run.telemetry(r.id, phaseStart(run, 'done'))).toBeNull();
    }
  });

  it('sends payloads the server accepts, and is deterministic for a seed', () => {
    expect(checkPayloads(run, 30_000).telemetry).toBeGreaterThan(2_000);
    expect(trace(start('pollution', { seed: 3 }), MINUTE)).toEqual(trace(start('pollution', { seed: 3 }), MINUTE));
    expect(trace(start('pollution', { seed: 3 }), MINUTE)).not.toEqual(trace(start('pollution', { seed: 4 }), MINUTE));
  });
});

describe('pollution at higher speeds and with a chosen core', () => {
  it('holds the plume over each station for 10 wall minutes at speed 10', () => {
    const run = start('pollution', { speed: 10 });
    for (const r of run.roles) expect(thresholdFires(series(run, r.id, 'pm25', MINUTE), 150, 10 * 10 * MINUTE), r.id).toBeDefined();
    expect(start('pollution', { speed: 240, ruleTimeScale: 240 }).timeline).toEqual(start('pollution').timeline);
  });

  it('centres the plume on a chosen station and refuses other kinds', () => {
    const run = start('pollution', { device: 'aq-0010' });
    expect(run.roles[0]).toMatchObject({ id: 'aq-0010', role: 'core', district: 'hanyang' });
    expect(pickPollutionTargets(demoDevices()).centre.id).toBe(start('pollution').device);
    expect(() => start('pollution', { device: 'gas-0001' })).toThrow(/gas-0001 is of kind gas, not an air_quality station/);
    expect(() => start('pollution', { devices: [] })).toThrow(/no air_quality station/);
  });
});
