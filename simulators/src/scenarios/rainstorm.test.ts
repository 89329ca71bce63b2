// Proves the rainstorm tells its story on the demo city, in scenario time on an anchored clock:
// heavy rain on the district's gauges (heavy-rain: >50 mm/h for 5 min) before the water rises; the
// main underpass warned by the forecast well before 30 cm, rising fast (10 cm in 5 min), flooding
// (>30 cm for 30 s) with stalled vehicles on its camera; the other low spots flooding too; then
// everything drains. Deterministic for a seed, valid payloads, phases stretched at high speeds.
import { describe, expect, it } from 'vitest';
import { pickRainstormTargets } from './rainstorm.js';
import {
  checkPayloads, checkTimeline, demoDevices, forecastFires, MINUTE, phaseStart, rateFires, SECOND, series, start, thresholdFires, trace,
} from './test-support.js';

describe('rainstorm scenario on the demo city', () => {
  const run = start('rainstorm');
  const role = (r: string) => run.roles.filter((t) => t.role === r);
  const main = role('main-gauge')[0]!;
  const level = (id: string) => series(run, id, 'level_cm');

  it('centres on the underpass with a camera and rain gauge, with two more low spots and the rain gauges of its district', () => {
    expect([main.id, main.grid]).toEqual(['wl-0001', 'wuchang-006']);
    expect(role('gauge').length).toBe(2);
    for (const g of [...role('gauge'), ...role('rain-gauge')]) expect(g.district).toBe('wuchang');
    expect(role('rain-gauge').map((g) => g.id)).toContain('rain-0013');
    expect(role('camera').map((c) => [c.id, c.grid])).toEqual([['cam-0049', 'wuchang-006']]);
    expect(run.targets.size).toBe(run.roles.length);
    expect(run.notes).toEqual([]);
    expect(run.summary).toMatch(/storm over district wuchang/);
  });

  it('plays normal, rain, rising, peak, draining, done, in about an hour', () => {
    expect(run.timeline.map((p) => p.phase)).toEqual(['normal', 'rain', 'rising', 'peak', 'draining', 'done']);
    expect(checkTimeline(run)).toEqual([]);
    expect(phaseStart(run, 'rain')).toBe(2 * MINUTE);
    expect(phaseStart(run, 'done') / MINUTE).toBeGreaterThan(45);
    expect(phaseStart(run, 'done') / MINUTE).toBeLessThan(75);
  });

  it('pours heavy rain on every rain gauge for 5 min before the water reaches 30 cm, and none once it drains', () => {
    const flood = thresholdFires(level(main.id), 30, 30 * SECOND)!;
    for (const g of role('rain-gauge')) {
      const rain = series(run, g.id, 'mm_h');
      expect(rain[0]!.s).toBeGreaterThanOrEqual(phaseStart(run, 'rain')); // before the rain: the gauge's normal model
      const heavy = thresholdFires(rain, 50, 5 * MINUTE);
      expect(heavy, g.id).toBeDefined();
      expect(heavy!).toBeLessThan(flood);
      expect(Math.max(...rain.map((p) => p.v))).toBeLessThan(100);
      const drained = rain.filter((p) => p.s > phaseStart(run, 'draining') + 5 * MINUTE);
      expect(drained.length, `${g.id} after the drain`).toBeGreaterThan(0); // every() of nothing is true
      expect(drained.every((p) => p.v === 0)).toBe(true);
    }
  });

  it('warns of the flood at the underpass: forecast well before 30 cm, rising fast, then over 30 cm for the peak', () => {
    const points = level(main.id);
    const flood = thresholdFires(points, 30, 30 * SECOND)!;
    expect(flood).toBeGreaterThan(phaseStart(run, 'rising'));
    expect(flood).toBeLessThan(phaseStart(run, 'peak'));
    const forecast = forecastFires(points, 30)!;
    expect(flood - forecast).toBeGreaterThan(5 * MINUTE);
    const fast = rateFires(points, 10, 5 * MINUTE)!;
    expect(fast).toBeLessThan(flood);
    const beforeRise = points.filter((p) => p.s < phaseStart(run, 'rising'));
    expect(beforeRise.length).toBeGreaterThan(0);
    expect(beforeRise.every((p) => p.v < 10)).toBe(true); // the drains cope during the rain
    expect(Math.max(...points.map((p) => p.v))).toBeGreaterThan(42);
    expect(points[points.length - 1]!.v).toBeLessThan(12);
  });

  it('floods the other low spots more slowly: over 30 cm, but not rising 10 cm in 5 min', () => {
    for (const g of role('gauge')) {
      const points = level(g.id);
      expect(thresholdFires(points, 30, 30 * SECOND), g.id).toBeDefined();
      expect(rateFires(points, 10, 5 * MINUTE), g.id).toBeUndefined();
      expect(Math.max(...points.map((p) => p.v))).toBeLessThan(40);
    }
  });

  it('shows stalled vehicles on the camera only while the water is over 25 cm, within 10 min of the flood alert', () => {
    const camera = role('camera')[0]!.id;
    const stalled: number[] = [];
    for (let s = 0; !run.done(s); s += 10 * SECOND) {
      for (const e of run.events(camera, s, s + 10 * SECOND)) {
        if (e.type === 'stalled_vehicle') stalled.push(s);
        expect(run.telemetry(main.id, s + 10 * SECOND)!.level_cm as number).toBeGreaterThan(23);
      }
    }
    const flood = thresholdFires(level(main.id), 30, 30 * SECOND)!;
    expect(stalled.length).toBeGreaterThan(10);
    expect(stalled.some((s) => Math.abs(s - flood) < 10 * MINUTE)).toBe(true);
    expect(run.cameraTypes).toEqual(['stalled_vehicle', 'waterlogging']);
    expect(run.events(main.id, 0, 60 * MINUTE)).toEqual([]);
  });

  it('sends payloads the server accepts', () => {
    const { telemetry, events } = checkPayloads(run);
    expect(telemetry).toBeGreaterThan(1_500);
    expect(events).toBeGreaterThan(10);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(trace(start('rainstorm', { seed: 3 }))).toEqual(trace(start('rainstorm', { seed: 3 })));
    expect(trace(start('rainstorm', { seed: 3 }))).not.toEqual(trace(start('rainstorm', { seed: 4 })));
  });
});

describe('rainstorm at higher speeds', () => {
  it('keeps the rain heavy for 5 wall minutes and gives the forecast 4 wall minutes of readings before 15 cm', () => {
    for (const speed of [10, 20]) {
      const run = start('rainstorm', { speed });
      const main = run.roles[0]!.id;
      const rainGauge = run.roles.find((r) => r.role === 'rain-gauge')!.id;
      const rain = series(run, rainGauge, 'mm_h', 30 * SECOND);
      expect(thresholdFires(rain, 50, speed * 5 * MINUTE), `speed ${speed}`).toBeDefined();
      const at15 = series(run, main, 'level_cm', 30 * SECOND).find((p) => p.v >= 15)!.s;
      expect(at15 / speed).toBeGreaterThanOrEqual(4 * MINUTE - SECOND);
      expect(run.notes).toEqual([]);
    }
  });

  it('plays at its natural length when the rules are as much faster as the replay (ruleTimeScale = speed)', () => {
    const natural = start('rainstorm').timeline;
    expect(start('rainstorm', { speed: 120, ruleTimeScale: 120 }).timeline).toEqual(natural);
    expect(start('rainstorm', { speed: 120 }).notes.join('\n')).toMatch(/speed 120/);
  });
});

describe('rainstorm targets', () => {
  it('honours a chosen gauge and refuses devices it cannot flood', () => {
    const run = start('rainstorm', { device: 'wl-0035' });
    expect([run.device, run.grid]).toEqual(['wl-0035', 'wuchang-055']);
    expect(() => start('rainstorm', { device: 'wl-9999' })).toThrow(/wl-9999 is not one of the simulated devices/);
    expect(() => start('rainstorm', { device: 'rain-0001' })).toThrow(/rain-0001 is of kind rainfall/);
    const noCameras = demoDevices().filter((d) => d.kind !== 'camera');
    expect(pickRainstormTargets(noCameras).cameras.size).toBe(0);
    expect(start('rainstorm', { devices: noCameras }).notes.join('\n')).toMatch(/waterlogging-incident rule cannot fire/);
  });
});
