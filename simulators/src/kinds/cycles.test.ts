// Proves the signals are believable: rush hours, night lights, daytime noise, temperature cycle, bins emptied, water rising with rain and draining.
import { describe, expect, it } from 'vitest';
import { Environment } from '../environment.js';
import type { Metrics } from '../model.js';
import { createModel } from './index.js';
import type { SensorKind } from '@citygrid/contract';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Epoch ms of a local (UTC+8) time in May 2026; 4-8 May are Monday-Friday. */
const local = (day: number, hour: number, minute = 0) => Date.UTC(2026, 4, day, hour - 8, minute);
const WEEKDAYS = [4, 5, 6, 7, 8];

function meanOf(kind: SensorKind, metric: string, times: number[], devices = 20, seed = 3): number {
  const env = new Environment(seed);
  let sum = 0;
  let n = 0;
  for (let d = 0; d < devices; d++) {
    const model = createModel(kind, { deviceId: `dev-${d}`, seed, env });
    for (const t of times) {
      sum += model.sample(t)[metric] as number;
      n++;
    }
  }
  return sum / n;
}

const at = (hour: number) => WEEKDAYS.flatMap((day) => [0, 10, 20, 30, 40, 50].map((m) => local(day, hour, m)));

describe('daily cycles', () => {
  it('traffic flows more at the 08:00 and 18:00 rush hours than at 03:00, and slows down', () => {
    expect(meanOf('traffic', 'flow', at(8))).toBeGreaterThan(3 * meanOf('traffic', 'flow', at(3)));
    expect(meanOf('traffic', 'flow', at(18))).toBeGreaterThan(3 * meanOf('traffic', 'flow', at(3)));
    expect(meanOf('traffic', 'speed', at(8))).toBeLessThan(meanOf('traffic', 'speed', at(3)) - 5);
  });

  it('streetlights are on at 23:00 (60-150 W) and off at 12:00 (0 W)', () => {
    const env = new Environment(5);
    for (let d = 0; d < 20; d++) {
      const model = createModel('streetlight', { deviceId: `lamp-${d}`, seed: 5, env });
      for (const day of WEEKDAYS) {
        const night: Metrics = model.sample(local(day, 23));
        expect(night.on).toBe(true);
        expect(night.power_w).toBeGreaterThanOrEqual(60);
        expect(night.power_w).toBeLessThanOrEqual(150);
        expect(model.sample(local(day, 12))).toEqual({ on: false, power_w: 0 });
      }
    }
  });

  it('noise is higher by day than at night, and temperature peaks in the afternoon', () => {
    expect(meanOf('noise', 'laeq', at(15))).toBeGreaterThan(meanOf('noise', 'laeq', at(3)) + 5);
    expect(meanOf('weather', 'temp_c', at(14))).toBeGreaterThan(meanOf('weather', 'temp_c', at(5)) + 4);
  });

  it('waste bins fill during the day and are emptied in the morning', () => {
    expect(meanOf('waste_bin', 'fill_pct', at(22))).toBeGreaterThan(meanOf('waste_bin', 'fill_pct', at(9)) + 20);
  });
});

describe('rain', () => {
  it('raises water levels during rain episodes and lets them drain afterwards', () => {
    const env = new Environment(9);
    // the wettest minute in 20 days, and the city's state then
    let wettest = 0;
    let peakWet = 0;
    for (let t = local(1, 0); t < local(21, 0); t += 5 * MINUTE) {
      const w = env.wetness(t);
      if (w > peakWet) [wettest, peakWet] = [t, w];
    }
    expect(peakWet).toBeGreaterThan(2);
    let dryTime = wettest - 24 * HOUR;
    while (env.wetness(dryTime) > 0) dryTime -= HOUR;
    let drained = wettest;
    while (env.wetness(drained) > 0.05 * peakWet) drained += 10 * MINUTE;

    const mean = (t: number) => meanOf('water_level', 'level_cm', [t], 30, 9);
    expect(mean(wettest)).toBeGreaterThan(mean(dryTime) + 3);
    expect(mean(drained)).toBeLessThan(mean(wettest) / 2);
    expect(meanOf('rainfall', 'mm_h', [dryTime], 10, 9)).toBe(0);
  });
});
