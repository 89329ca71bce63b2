// Proves the flooding scenario tells the early-warning story in order: a steady ~1 cm/min rise that a
// 10 min least-squares fit sees coming well before 30 cm, the crossing, the peak, the drain; stalled
// vehicles on the cell's camera only while the water is above 25 cm; valid payloads; one flood per seed.
import { fileURLToPath } from 'node:url';
import { parseCameraEvent, parseTelemetry } from '@citygrid/contract';
import { loadCity, type CityDevice } from '@citygrid/contract/node';
import { describe, expect, it } from 'vitest';
import { Environment } from '../environment.js';
import { MINUTE } from '../model.js';
import { FLOODING, FloodingModel, pickFloodingTarget, type FloodingRun } from './flooding.js';
import { resolveScenario, SCENARIO_NAMES, SCENARIOS } from './index.js';
import { fitLine, type Point } from './test-support.js';
import type { ScenarioRun } from './types.js';

const SECOND = 1_000;
const START = Date.UTC(2026, 6, 1, 2); // 10:00 local
const STEP = 5 * SECOND; // the scenario's own readings: every 5 s of scenario time

function device(id: string, kind: CityDevice['kind'], grid: string, name?: string): CityDevice {
  return { id, kind, grid, district: 'test', location: [114.3, 30.6], secret_hash: 'x', ...(name ? { name } : {}) };
}

/** A small city: an underpass gauge with a rain gauge and two cameras in its cell, and a gauge elsewhere. */
const DEVICES: CityDevice[] = [
  device('wl-0001', 'water_level', 'cell-a', 'Low street gauge, cell A'),
  device('wl-0002', 'water_level', 'cell-b', 'Underpass gauge, cell B'),
  device('wl-0003', 'water_level', 'cell-c', 'Underpass gauge, cell C'),
  device('rain-0001', 'rainfall', 'cell-b'),
  device('cam-0002', 'camera', 'cell-b'),
  device('cam-0001', 'camera', 'cell-b'),
  device('cam-0003', 'camera', 'cell-a'),
  device('aq-0001', 'air_quality', 'cell-b'),
];

function startFlood(seed = 42, speed = 1, deviceId?: string, devices: readonly CityDevice[] = DEVICES): FloodingRun {
  return SCENARIOS.flooding.start({ devices, seed, env: new Environment(seed), speed, startSimTime: START, ...(deviceId ? { device: deviceId } : {}) });
}


/** The gauge's readings every STEP of scenario time until the scenario is done. */
function levels(run: ScenarioRun): Point[] {
  const out: Point[] = [];
  for (let s = 0; !run.done(s); s += STEP) out.push({ s, v: run.telemetry(run.device, s)!.level_cm as number });
  return out;
}

const firstAt = (points: Point[], level: number) => points.find((p) => p.v >= level)!;

describe('flooding scenario: the water level', () => {
  const run = startFlood();
  const points = levels(run);
  const t = Object.fromEntries(run.timeline.map((p) => [p.phase, p.at])) as Record<string, number>;

  it('plays normal, rain, rising, peak, draining, done in order, over about an hour', () => {
    expect(run.timeline.map((p) => p.phase)).toEqual(['normal', 'rain', 'rising', 'peak', 'draining', 'done']);
    expect(t.rain).toBe(2 * MINUTE);
    expect(t.rising).toBe(5 * MINUTE);
    expect(t.draining! - t.peak!).toBe(8 * MINUTE);
    expect(t.done! / MINUTE).toBeGreaterThan(50);
    expect(t.done! / MINUTE).toBeLessThan(75);
    for (const { phase, at } of run.timeline) {
      expect(run.phase(at)).toBe(phase);
      if (at > 0) expect(run.phase(at - 1)).not.toBe(phase);
    }
    expect(run.describe('rising')).toMatch(/1 cm\/min/);
  });

  it('stays at the normal level for 2 min, then rises about 1 cm/min, smoothly and nearly linearly', () => {
    const normal = points.filter((p) => p.s < t.rain!);
    const base = normal[0]!.v;
    for (const p of normal) expect(Math.abs(p.v - base)).toBeLessThanOrEqual(2 * FLOODING.noiseCm + 0.1);
    const rising = points.filter((p) => p.s >= t.rising! && p.s < t.peak!);
    const line = fitLine(rising);
    expect(line.slope).toBeGreaterThan(0.95);
    expect(line.slope).toBeLessThan(1.05);
    // every minute of the rise is ~1 cm higher than the minute before; the noise never flips the trend for long
    for (let s = t.rising!; s + MINUTE < t.peak!; s += MINUTE) {
      const gain = run.telemetry(run.device, s + MINUTE)!.level_cm as number - (run.telemetry(run.device, s)!.level_cm as number);
      expect(gain).toBeGreaterThan(0.3);
      expect(gain).toBeLessThan(1.7);
    }
    // the onset is smooth: no step bigger than the noise plus a few seconds of rise
    for (let i = 1; i < points.length; i++) expect(Math.abs(points[i]!.v - points[i - 1]!.v)).toBeLessThan(2 * FLOODING.noiseCm + 0.3);
  });

  it('crosses 30 cm, holds about 40 cm for 8 min, then drains about 2 cm/min back to normal', () => {
    expect(firstAt(points, 30).s).toBeLessThan(t.peak!);
    const peak = points.filter((p) => p.s >= t.peak! && p.s < t.draining!);
    expect(peak).toHaveLength((8 * MINUTE) / STEP);
    for (const p of peak) {
      expect(p.v).toBeGreaterThanOrEqual(38.5);
      expect(p.v).toBeLessThanOrEqual(41.5);
    }
    expect(Math.max(...points.map((p) => p.v))).toBeLessThan(42);
    const draining = points.filter((p) => p.s >= t.draining!);
    const line = fitLine(draining);
    expect(line.slope).toBeGreaterThan(-2.1);
    expect(line.slope).toBeLessThan(-1.9);
    expect(Math.abs(points[points.length - 1]!.v - points[0]!.v)).toBeLessThan(2 * FLOODING.noiseCm + 0.2);
    expect(run.telemetry(run.device, t.done!)).toBeNull(); // done: the normal model again
  });

  it('lets a 10 min least-squares fit predict the 30 cm crossing well before it happens', () => {
    // the fit over the 10 min before the level reaches 20 cm sees 30 cm coming, ~10 min ahead
    const at20 = firstAt(points, 20);
    const window = points.filter((p) => p.s > at20.s - 10 * MINUTE && p.s <= at20.s);
    const line = fitLine(window);
    const eta = (30 - line.now) / line.slope; // minutes
    expect(eta).toBeGreaterThan(5);
    expect(eta).toBeLessThanOrEqual(15);
    expect((firstAt(points, 30).s - at20.s) / MINUTE).toBeGreaterThan(8);

    // the forecast rule (crosses 30 within 15m, window 10m, ≥ 5 points spanning a third of it, slope
    // ≥ 2 standard errors) would fire first at 15-20 cm, more than 10 min before the threshold
    const fired = points.find((p) => {
      const inWindow = points.filter((q) => q.s > p.s - 10 * MINUTE && q.s <= p.s);
      if (inWindow.length < 5 || p.s - inWindow[0]!.s < (10 * MINUTE) / 3 || p.v >= 30) return false;
      const f = fitLine(inWindow);
      return f.slope > 0 && f.slope >= 2 * f.stderr && (30 - f.now) / f.slope <= 15;
    })!;
    expect(fired.v).toBeGreaterThanOrEqual(13);
    expect(fired.v).toBeLessThanOrEqual(20);
    expect((firstAt(points, 30).s - fired.s) / MINUTE).toBeGreaterThan(10);
  });

  it('pours 60-80 mm/h on the cell\'s rain gauge from the rain phase and stops before the drain', () => {
    const rain = (s: number) => run.telemetry(run.rainGauge!, s)?.mm_h as number | undefined;
    expect(rain(t.rain! - 1)).toBeUndefined(); // normal phase: the gauge's own model
    expect(rain(t.rain! + 10 * SECOND)!).toBeLessThan(5);
    for (let s = t.rising!; s < t.peak!; s += 30 * SECOND) {
      expect(rain(s)!).toBeGreaterThanOrEqual(60);
      expect(rain(s)!).toBeLessThanOrEqual(80);
    }
    expect(rain(t.draining! - 10 * SECOND)!).toBeLessThan(5);
    expect(rain(t.draining! + MINUTE)).toBe(0);
    expect(rain(t.done!)).toBeUndefined();
  });
});

describe('flooding scenario: the camera', () => {
  const run = startFlood();
  const model = new FloodingModel({ seed: 42, gauge: run.device, rainGauge: run.rainGauge, camera: run.camera, baseCm: 5 });
  const end = model.timeline.done + 5 * MINUTE;
  const detections = model.detectionsBetween(-1, end);

  it('sees a stalled vehicle about every minute, and waterlogging, only while the water is above 25 cm', () => {
    const stalled = detections.filter((d) => d.event.type === 'stalled_vehicle');
    const waterlogging = detections.filter((d) => d.event.type === 'waterlogging');
    // everything in one call is capped: collect minute by minute instead
    const all: typeof detections = [];
    for (let s = 0; s < end; s += MINUTE) all.push(...model.detectionsBetween(s, s + MINUTE));
    expect(stalled.length).toBeLessThanOrEqual(5);
    let above = 0;
    for (let s = 0; s < end; s += SECOND) if (model.level(s) > 25) above += SECOND;
    expect(above).toBeGreaterThan(10 * MINUTE); // else the counts below would allow none at all
    const allStalled = all.filter((d) => d.event.type === 'stalled_vehicle');
    const allWaterlogging = all.filter((d) => d.event.type === 'waterlogging');
    expect(allStalled.length).toBeGreaterThanOrEqual(Math.floor(above / MINUTE) - 2);
    expect(allStalled.length).toBeLessThanOrEqual(Math.ceil(above / MINUTE) + 2);
    expect(allWaterlogging.length).toBeGreaterThanOrEqual(Math.floor(above / (2 * MINUTE)) - 2);
    for (const d of all) {
      expect(model.level(d.at)).toBeGreaterThan(25);
      if (d.event.type === 'stalled_vehicle') {
        expect(d.event.confidence).toBeGreaterThanOrEqual(0.8);
        expect(d.event.confidence).toBeLessThanOrEqual(0.95);
      }
    }
    // consecutive stalled vehicles are roughly a minute apart
    for (let i = 1; i < allStalled.length; i++) {
      const gap = (allStalled[i]!.at - allStalled[i - 1]!.at) / MINUTE;
      expect(gap).toBeGreaterThan(0.35);
      expect(gap).toBeLessThan(1.65);
    }
    expect(waterlogging.length + stalled.length).toBe(detections.length);
  });

  it('finds the same detections however the time is sliced', () => {
    const slice = (step: number) => {
      const out: string[] = [];
      for (let s = 0; s < end; s += step) out.push(...model.detectionsBetween(s, s + step).map((d) => `${d.at}:${JSON.stringify(d.event)}`));
      return out;
    };
    expect(slice(7 * SECOND)).toEqual(slice(MINUTE));
  });

  it('reports the detections through the run only for the cell\'s camera', () => {
    const events: string[] = [];
    for (let s = 0; !run.done(s); s += 10 * SECOND) events.push(...run.events(run.camera!, s, s + 10 * SECOND).map((e) => e.type));
    expect(events).toContain('stalled_vehicle');
    expect(events).toContain('waterlogging');
    expect(run.events('cam-0003', 0, 60 * MINUTE)).toEqual([]);
    expect(run.cameraTypes).toEqual(['stalled_vehicle', 'waterlogging']);
  });
});

describe('flooding scenario: payloads and determinism', () => {
  it('sends payloads that parseTelemetry and parseCameraEvent accept', () => {
    const run = startFlood(7);
    let seq = 0;
    let telemetry = 0;
    let events = 0;
    for (let s = 0; !run.done(s); s += 10 * SECOND) {
      const ts = START + s;
      for (const [id, kind] of [[run.device, 'water_level'], [run.rainGauge!, 'rainfall']] as const) {
        const metrics = run.telemetry(id, s);
        if (!metrics) continue;
        const [reading] = parseTelemetry(JSON.stringify({ ts, metrics, seq: seq++ }), id, kind, ts);
        expect(reading!.metrics).toEqual(metrics);
        telemetry++;
      }
      for (const e of run.events(run.camera!, s, s + 10 * SECOND)) {
        const parsed = parseCameraEvent(JSON.stringify({ ts, ...e, seq: seq++ }), run.camera!, 'camera', ts);
        expect(parsed.type).toBe(e.type);
        events++;
      }
    }
    expect(telemetry).toBeGreaterThan(600);
    expect(events).toBeGreaterThan(20);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const trace = (seed: number) => {
      const run = startFlood(seed);
      const out: unknown[] = [];
      for (let s = 0; !run.done(s); s += 30 * SECOND) out.push(run.telemetry(run.device, s), run.telemetry(run.rainGauge!, s), run.events(run.camera!, s, s + 30 * SECOND));
      return out;
    };
    expect(trace(11)).toEqual(trace(11));
    expect(trace(11)).not.toEqual(trace(12));
  });

  it('rises from the given normal level, clamped to 0-10 cm, or from 3-8 cm by default', () => {
    expect(new FloodingModel({ seed: 1, gauge: 'wl-1', baseCm: 1.2 }).level(0)).toBe(1.2);
    expect(new FloodingModel({ seed: 1, gauge: 'wl-1', baseCm: 25 }).baseCm).toBe(10);
    for (let seed = 0; seed < 20; seed++) {
      const base = new FloodingModel({ seed, gauge: 'wl-1' }).baseCm;
      expect(base).toBeGreaterThanOrEqual(3);
      expect(base).toBeLessThanOrEqual(8);
    }
  });
});

describe('flooding scenario at higher speeds', () => {
  it('stretches the normal lead-in so the gauge has reported for 4 wall minutes when the level reaches 15 cm', () => {
    for (const speed of [1, 2, 5, 20, 30]) {
      const model = new FloodingModel({ seed: 3, gauge: 'wl-1', baseCm: 5, speed });
      let s = 0;
      while (model.level(s) < 15) s += SECOND;
      expect(s / speed).toBeGreaterThanOrEqual(FLOODING.forecastLeadWallMs - 2 * SECOND / speed);
      expect(model.timeline.rain).toBeGreaterThanOrEqual(FLOODING.normalMs);
      // the rest of the storyline is the same at any speed
      expect(model.timeline.done - model.timeline.rain).toBeCloseTo(new FloodingModel({ seed: 3, gauge: 'wl-1', baseCm: 5 }).timeline.done - 2 * MINUTE, 6);
    }
    expect(new FloodingModel({ seed: 3, gauge: 'wl-1', baseCm: 5, speed: 1 }).timeline.rain).toBe(2 * MINUTE);
  });

  it('warns when the speed is too high for the threshold rule\'s 30 s hold', () => {
    expect(startFlood(42, 20).notes.some((n) => /speed/.test(n))).toBe(false);
    expect(startFlood(42, 60).notes.some((n) => /speed 60/.test(n))).toBe(true);
  });
});

describe('flooding scenario: picking the target', () => {
  it('prefers an underpass gauge in a cell with a camera, with that cell\'s rain gauge and first camera', () => {
    const target = pickFloodingTarget(DEVICES);
    expect([target.gauge.id, target.grid, target.rainGauge?.id, target.camera?.id]).toEqual(['wl-0002', 'cell-b', 'rain-0001', 'cam-0001']);
    const run = startFlood();
    expect([run.device, run.grid, run.rainGauge, run.camera]).toEqual(['wl-0002', 'cell-b', 'rain-0001', 'cam-0001']);
    expect([...run.targets].sort()).toEqual(['cam-0001', 'rain-0001', 'wl-0002']);
    expect(run.summary).toMatch(/wl-0002 .*cell-b floods/);
  });

  it('takes a gauge in a cell with a camera over an underpass gauge without one', () => {
    const withoutB = DEVICES.filter((d) => d.grid !== 'cell-b');
    const target = pickFloodingTarget(withoutB);
    expect([target.gauge.id, target.camera?.id, target.rainGauge]).toEqual(['wl-0001', 'cam-0003', null]);
  });

  it('falls back to the first underpass gauge when no cell has a gauge and a camera, and says so', () => {
    const noCameras = DEVICES.filter((d) => d.kind !== 'camera');
    expect(pickFloodingTarget(noCameras).gauge.id).toBe('wl-0002');
    const run = startFlood(42, 1, undefined, noCameras.filter((d) => d.kind !== 'rainfall'));
    expect([run.camera, run.rainGauge]).toEqual([null, null]);
    expect(run.notes.join('\n')).toMatch(/no camera/);
    expect(run.events('cam-0001', 0, 60 * MINUTE)).toEqual([]);
  });

  it('honours a chosen device and refuses one that is not a simulated water_level gauge', () => {
    const run = startFlood(42, 1, 'wl-0003');
    expect([run.device, run.grid, run.camera, run.rainGauge]).toEqual(['wl-0003', 'cell-c', null, null]);
    expect(() => startFlood(42, 1, 'wl-9999')).toThrow(/wl-9999 is not one of the simulated devices/);
    expect(() => startFlood(42, 1, 'rain-0001')).toThrow(/rain-0001 is of kind rainfall/);
    expect(() => startFlood(42, 1, undefined, DEVICES.filter((d) => d.kind !== 'water_level'))).toThrow(/no water_level/);
  });

  it('picks an underpass gauge in the demo city, with the camera and rain gauge of its cell if it has them', () => {
    const city = loadCity(fileURLToPath(new URL('../../../config/demo-city', import.meta.url)));
    const target = pickFloodingTarget(city.devices);
    expect(target.gauge.kind).toBe('water_level');
    const cellHas = (grid: string, kind: string) => city.devices.some((d) => d.grid === grid && d.kind === kind);
    const gaugeCellsWithCamera = city.devices.filter((d) => d.kind === 'water_level' && cellHas(d.grid, 'camera'));
    // the demo city has gauges in cells with cameras: the checks below always run, none behind an if
    expect(gaugeCellsWithCamera.length).toBeGreaterThan(0);
    expect(target.camera?.grid).toBe(target.grid);
    expect(target.rainGauge?.grid ?? null).toBe(cellHas(target.grid, 'rainfall') ? target.grid : null);
  });
});

describe('scenario registry', () => {
  it('resolves scenarios by name and refuses unknown ones with the known names', () => {
    expect(resolveScenario('flooding')).toBe(SCENARIOS.flooding);
    expect(resolveScenario(undefined)).toBeNull();
    expect(resolveScenario(null)).toBeNull();
    expect(resolveScenario('')).toBeNull();
    expect(() => resolveScenario('earthquake')).toThrow(/Unknown scenario "earthquake"; known scenarios: flooding, rainstorm, gas-leak, pollution, traffic-incident, sensor-faults/);
    expect(SCENARIO_NAMES).toEqual(['flooding', 'rainstorm', 'gas-leak', 'pollution', 'traffic-incident', 'sensor-faults']);
    for (const name of SCENARIO_NAMES) expect(SCENARIOS[name].name).toBe(name);
  });
});
