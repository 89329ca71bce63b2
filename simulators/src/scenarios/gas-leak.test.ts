// Proves the gas leak tells its story on the demo city, in scenario time on an anchored clock: the
// seep crosses gas-rising (>10 %LEL for 1 min) during 'seeping', the crack crosses gas-leak (>25
// %LEL for 10 s) during 'leaking', the neighbouring detector only gas-rising, and the gas clears
// once the valve is shut. Deterministic for a seed, valid payloads, phases stretched at high speeds.
import { describe, expect, it } from 'vitest';
import { GAS_LEAK, pickGasLeakTargets } from './gas-leak.js';
import { checkPayloads, checkTimeline, demoDevices, device, MINUTE, phaseStart, SECOND, series, start, thresholdFires, trace } from './test-support.js';

describe('gas-leak scenario on the demo city', () => {
  const run = start('gas-leak');
  const pipe = run.roles[0]!;
  const neighbour = run.roles[1]!;
  const ch4 = (id: string) => series(run, id, 'ch4');

  it('picks a gas-main detector with another detector within 1.5 km', () => {
    expect([pipe.id, pipe.role, neighbour.id, neighbour.role]).toEqual(['gas-0007', 'pipe', 'gas-0021', 'neighbour']);
    expect(run.notes).toEqual([]);
    expect(run.summary).toMatch(/gas leak at gas-0007 .* spreading to gas-0021/);
  });

  it('plays normal, seeping, leaking, isolated, done in about 40 min', () => {
    expect(run.timeline.map((p) => p.phase)).toEqual(['normal', 'seeping', 'leaking', 'isolated', 'done']);
    expect(checkTimeline(run)).toEqual([]);
    expect(phaseStart(run, 'done') / MINUTE).toBeGreaterThan(30);
    expect(phaseStart(run, 'done') / MINUTE).toBeLessThan(50);
  });

  it('crosses gas-rising while seeping and gas-leak once the pipe cracks, then clears', () => {
    const points = ch4(pipe.id);
    const upTo = (phase: string) => {
      const before = points.filter((p) => p.s < phaseStart(run, phase));
      expect(before.length, `readings before ${phase}`).toBeGreaterThan(0); // every() of nothing is true
      return before;
    };
    expect(upTo('seeping').every((p) => p.v < 3.5)).toBe(true);
    const rising = thresholdFires(points, 10, MINUTE)!;
    expect(rising).toBeGreaterThan(phaseStart(run, 'seeping'));
    expect(rising).toBeLessThan(phaseStart(run, 'leaking'));
    expect(upTo('leaking').every((p) => p.v < 20)).toBe(true);
    const leak = thresholdFires(points, 25, 10 * SECOND)!;
    expect(leak).toBeGreaterThan(phaseStart(run, 'leaking'));
    expect(leak).toBeLessThan(phaseStart(run, 'isolated'));
    expect(Math.max(...points.map((p) => p.v))).toBeLessThanOrEqual(GAS_LEAK.leakPct[1] * 1.08 + 0.5);
    expect(points[points.length - 1]!.v).toBeLessThan(3.5);
  });

  it('reaches the neighbouring detector weaker and later: gas-rising, never the explosive level', () => {
    const points = ch4(neighbour.id);
    const rising = thresholdFires(points, 10, MINUTE)!;
    expect(rising).toBeGreaterThan(phaseStart(run, 'leaking'));
    expect(Math.max(...points.map((p) => p.v))).toBeLessThan(22);
    expect(points[points.length - 1]!.v).toBeLessThan(3.5);
  });

  it('sends payloads the server accepts, and is deterministic for a seed', () => {
    expect(checkPayloads(run).telemetry).toBeGreaterThan(400);
    expect(trace(start('gas-leak', { seed: 3 }))).toEqual(trace(start('gas-leak', { seed: 3 })));
    expect(trace(start('gas-leak', { seed: 3 }))).not.toEqual(trace(start('gas-leak', { seed: 4 })));
  });
});

describe('gas-leak at higher speeds', () => {
  it('holds the seep over 10 %LEL for a wall minute before the crack, and the leak long enough for the neighbour', () => {
    for (const speed of [10, 30]) {
      const run = start('gas-leak', { speed });
      const [pipe, neighbour] = run.roles;
      const rising = thresholdFires(series(run, pipe!.id, 'ch4', 10 * SECOND), 10, speed * MINUTE)!;
      expect(rising, `speed ${speed}`).toBeLessThan(phaseStart(run, 'leaking'));
      expect(thresholdFires(series(run, neighbour!.id, 'ch4', 10 * SECOND), 10, speed * MINUTE), `speed ${speed}`).toBeDefined();
    }
    expect(start('gas-leak', { speed: 120, ruleTimeScale: 120 }).timeline).toEqual(start('gas-leak').timeline);
  });
});

describe('gas-leak targets', () => {
  it('honours a chosen detector, goes without a neighbour when none is near, and refuses other kinds', () => {
    expect(start('gas-leak', { device: 'gas-0017' }).roles.map((r) => r.id)).toEqual(['gas-0017', 'gas-0018']);
    const alone = start('gas-leak', { devices: [device('gas-a', 'gas', 'g-1', [114.3, 30.6], { name: 'Gas main sensor' })] });
    expect(alone.roles.map((r) => r.id)).toEqual(['gas-a']);
    expect(alone.notes.join('\n')).toMatch(/no other gas detector within 1.5 km/);
    expect(pickGasLeakTargets(demoDevices().filter((d) => d.id !== 'gas-0021')).pipe.id).not.toBe('gas-0007');
    expect(() => start('gas-leak', { device: 'wl-0001' })).toThrow(/wl-0001 is of kind water_level, not a gas detector/);
    expect(() => start('gas-leak', { devices: [] })).toThrow(/no gas detector/);
  });
});
