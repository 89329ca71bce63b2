// Proves the video wall's rules: rotate= and lang= read from the URL within bounds, the district in focus
// moves on every period and wraps around, and the headline numbers count one district or the whole city.
import { describe, expect, it } from 'vitest';
import { areaKpis, parseWallParams, ROTATE_DEFAULT_S, ROTATE_MAX_S, ROTATE_MIN_S, rotationAt } from './wall';

describe('parseWallParams', () => {
  it('reads rotate= in seconds and lang=', () => {
    expect(parseWallParams('#/wall?rotate=30')).toEqual({ rotateS: 30, lang: null });
    expect(parseWallParams('#/wall?rotate=5&lang=zh-CN')).toEqual({ rotateS: 5, lang: 'zh-CN' });
    expect(parseWallParams('#/wall?lang=en').lang).toBe('en');
  });

  it('falls back to the default for anything that is not whole seconds, and holds the bounds', () => {
    for (const hash of ['#/wall', '#/wall?', '#/wall?rotate=', '#/wall?rotate=abc', '#/wall?rotate=-5', '#/wall?rotate=1.5', '#/wall?rotate=1e3']) {
      expect(parseWallParams(hash).rotateS, hash).toBe(ROTATE_DEFAULT_S);
    }
    expect(parseWallParams('#/wall?rotate=0').rotateS).toBe(ROTATE_MIN_S);
    expect(parseWallParams('#/wall?rotate=1').rotateS).toBe(ROTATE_MIN_S);
    expect(parseWallParams('#/wall?rotate=999999').rotateS).toBe(ROTATE_MAX_S);
    expect(parseWallParams('#/wall?lang=fr').lang).toBeNull();
  });
});

describe('rotationAt', () => {
  const start = 1_000_000;
  it('keeps a district for one period, then moves to the next and wraps around', () => {
    expect(rotationAt(3, start, start, 20_000)).toEqual({ index: 0, next: 1, nextAt: start + 20_000 });
    expect(rotationAt(3, start, start + 19_999, 20_000).index).toBe(0);
    expect(rotationAt(3, start, start + 20_000, 20_000)).toEqual({ index: 1, next: 2, nextAt: start + 40_000 });
    expect(rotationAt(3, start, start + 40_000, 20_000)).toEqual({ index: 2, next: 0, nextAt: start + 60_000 });
    expect(rotationAt(3, start, start + 60_000, 20_000).index).toBe(0);
  });

  it('stays on the only district, and has none to show without districts', () => {
    expect(rotationAt(1, start, start + 50_000, 20_000)).toMatchObject({ index: 0, next: 0 });
    expect(rotationAt(0, start, start, 20_000)).toEqual({ index: -1, next: -1, nextAt: Infinity });
  });

  it('treats a clock before the start as the start', () => {
    expect(rotationAt(3, start, start - 5_000, 20_000)).toEqual({ index: 0, next: 1, nextAt: start + 20_000 });
  });
});

describe('areaKpis', () => {
  const now = 10_000;
  const input = {
    devices: [{ district: 'a', online: true }, { district: 'a', online: false }, { district: 'b', online: true }],
    cells: [{ district: 'a', condition: 'alarm' }, { district: 'a', condition: 'warn' }, { district: 'b', condition: 'warn' }, { district: 'b', condition: 'ok' }],
    alerts: [
      { district: 'a', severity: 'red', state: 'firing', ackDeadline: now - 1 }, // overdue
      { district: 'a', severity: 'red', state: 'acknowledged', ackDeadline: now - 1 }, // acknowledged: not overdue
      { district: 'a', severity: 'blue', state: 'resolved', ackDeadline: 0 }, // resolved: not counted
      { district: 'b', severity: 'yellow', state: 'firing', ackDeadline: now + 1 },
    ] as const,
    now,
  };

  it("counts one district's devices, cells and open alerts", () => {
    expect(areaKpis('a', input)).toEqual({
      devicesOnline: 1, devicesTotal: 2, alerts: { red: 2, orange: 0, yellow: 0, blue: 0 }, openAlerts: 2, overdue: 1, cellsAlarm: 1, cellsWarn: 1,
    });
  });

  it('counts the whole city without a district', () => {
    expect(areaKpis(null, input)).toEqual({
      devicesOnline: 2, devicesTotal: 3, alerts: { red: 2, orange: 0, yellow: 1, blue: 0 }, openAlerts: 3, overdue: 1, cellsAlarm: 1, cellsWarn: 2,
    });
  });
});
