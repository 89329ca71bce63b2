// Proves the traffic incident tells its story on the demo city, in scenario time on an anchored
// clock: stalled vehicles and then the obstruction about every minute on the nearest camera while
// the lanes are blocked (road-obstruction: 3 in 10 min), the detector's speed at a standstill long
// enough for traffic-jam (<8 km/h for 10 min), then the recovery. Deterministic, valid payloads.
import { describe, expect, it } from 'vitest';
import { pickTrafficTargets } from './traffic-incident.js';
import { checkPayloads, checkTimeline, demoDevices, device, MINUTE, phaseStart, SECOND, series, start, thresholdFires, trace } from './test-support.js';

describe('traffic-incident scenario on the demo city', () => {
  const run = start('traffic-incident');
  const [detector, camera] = run.roles;

  it('picks the detector nearest a camera (no demo cell has both) and says which camera watches', () => {
    expect([detector!.id, detector!.role, camera!.id, camera!.role]).toEqual(['trf-0011', 'detector', 'cam-0008', 'camera']);
    expect(run.notes.join('\n')).toMatch(/trf-0011's cell wuchang-047 has no camera: the nearest, cam-0008 in wuchang-048/);
    expect(run.timeline.map((p) => p.phase)).toEqual(['normal', 'crash', 'blocked', 'clearing', 'done']);
    expect(checkTimeline(run)).toEqual([]);
  });

  it('brings the speed down to a standstill for over 10 min while blocked, and back after', () => {
    const speed = series(run, detector!.id, 'speed');
    // each selection checked non-empty: Math.min of nothing is Infinity, and every() of nothing is true
    const before = speed.filter((p) => p.s < phaseStart(run, 'crash'));
    expect(before.length).toBeGreaterThan(0);
    expect(Math.min(...before.map((p) => p.v))).toBeGreaterThan(15);
    const jam = thresholdFires(speed, 8, 10 * MINUTE, true)!;
    expect(jam).toBeGreaterThan(phaseStart(run, 'blocked'));
    expect(jam).toBeLessThan(phaseStart(run, 'clearing'));
    const blocked = speed.filter((p) => p.s >= phaseStart(run, 'blocked') && p.s < phaseStart(run, 'clearing'));
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((p) => p.v < 8)).toBe(true);
    expect(speed[speed.length - 1]!.v).toBeGreaterThan(15); // clear_above 15: the jam clears
    const occupancy = series(run, detector!.id, 'occupancy').filter((p) => p.s >= phaseStart(run, 'blocked') && p.s < phaseStart(run, 'clearing'));
    expect(occupancy).toHaveLength(blocked.length);
    expect(Math.min(...occupancy.map((p) => p.v))).toBeGreaterThan(80);
  });

  it('shows two stalled vehicles, then the obstruction about every minute until the lanes are cleared', () => {
    const seen: { s: number; type: string; confidence: number }[] = [];
    for (let s = 0; !run.done(s); s += 7 * SECOND) for (const e of run.events(camera!.id, s, s + 7 * SECOND)) seen.push({ s, type: e.type, confidence: e.confidence });
    expect(seen.filter((e) => e.type === 'stalled_vehicle')).toHaveLength(2);
    const obstructions = seen.filter((e) => e.type === 'road_obstruction');
    const blockedMin = (phaseStart(run, 'clearing') - phaseStart(run, 'crash')) / MINUTE;
    expect(obstructions.length).toBeGreaterThanOrEqual(blockedMin - 2);
    expect(obstructions.length).toBeLessThanOrEqual(blockedMin + 1);
    expect(obstructions.every((e) => e.s >= phaseStart(run, 'crash') && e.s < phaseStart(run, 'clearing') && e.confidence >= 0.7)).toBe(true);
    // road-obstruction: 3 within 10 min, soon after the crash
    expect(obstructions[2]!.s - phaseStart(run, 'crash')).toBeLessThan(5 * MINUTE);
    // sliced differently, the same detections
    const slice = (step: number) => {
      const out: string[] = [];
      for (let s = 0; !run.done(s); s += step) out.push(...run.events(camera!.id, s, s + step).map((e) => JSON.stringify(e)));
      return out;
    };
    expect(slice(3 * SECOND)).toEqual(slice(MINUTE));
    expect(run.cameraTypes).toEqual(['stalled_vehicle', 'road_obstruction']);
  });

  it('sends payloads the server accepts, and is deterministic for a seed', () => {
    const counts = checkPayloads(run);
    expect(counts.telemetry).toBeGreaterThan(150);
    expect(counts.events).toBeGreaterThan(15);
    expect(trace(start('traffic-incident', { seed: 3 }))).toEqual(trace(start('traffic-incident', { seed: 3 })));
    expect(trace(start('traffic-incident', { seed: 3 }))).not.toEqual(trace(start('traffic-incident', { seed: 4 })));
  });
});

describe('traffic-incident at higher speeds and with other targets', () => {
  it('keeps the road blocked for 10 wall minutes at speed 10', () => {
    const run = start('traffic-incident', { speed: 10 });
    expect(thresholdFires(series(run, run.roles[0]!.id, 'speed', 30 * SECOND), 8, 10 * 10 * MINUTE, true)).toBeDefined();
    expect(start('traffic-incident', { speed: 120, ruleTimeScale: 120 }).timeline).toEqual(start('traffic-incident').timeline);
  });

  it('prefers a camera in the same cell, goes without one when none is near, and refuses other kinds', () => {
    const trf = device('trf-a', 'traffic', 'g-1', [114.3, 30.6]);
    const far = device('cam-far', 'camera', 'g-9', [114.5, 30.6]);
    const near = device('cam-b', 'camera', 'g-2', [114.301, 30.6]);
    const same = device('cam-c', 'camera', 'g-1', [114.31, 30.6]);
    expect(pickTrafficTargets([trf, far, near, same]).camera?.id).toBe('cam-c');
    expect(pickTrafficTargets([trf, far, near]).camera?.id).toBe('cam-b');
    const alone = start('traffic-incident', { devices: [trf, far] });
    expect(alone.roles.map((r) => r.id)).toEqual(['trf-a']);
    expect(alone.notes.join('\n')).toMatch(/no camera within 1.5 km/);
    expect(alone.events('cam-far', 0, 60 * MINUTE)).toEqual([]);
    expect(start('traffic-incident', { device: 'trf-0001' }).device).toBe('trf-0001');
    expect(() => start('traffic-incident', { device: 'cam-0001' })).toThrow(/cam-0001 is of kind camera, not a traffic detector/);
    expect(() => start('traffic-incident', { devices: demoDevices().filter((d) => d.kind !== 'traffic') })).toThrow(/no traffic detector/);
  });
});
