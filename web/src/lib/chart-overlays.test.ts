// Proves the chart overlays: rule threshold lines (matching, colour, de-duplication, at most 3) and the forecast projection.
import { describe, expect, it } from 'vitest';
import { forecastProjection, thresholdLines, type RuleLevelsRow } from './chart-overlays';

const wl = { id: 'wl-1', kind: 'water_level', grid: 'g-1', district: 'east' };
const cat = { warn: 20, alarm: 30, warnLabel: 'warning', alarmLabel: 'alarm' };
const T = Date.UTC(2026, 4, 1, 8, 0);

describe('thresholdLines', () => {
  it('draws matching threshold rules in their colour with the rule id, and drops catalogue lines they duplicate', () => {
    const rules: RuleLevelsRow[] = [
      { id: 'wl-high', kind: 'threshold', severity: 'orange', match: { kind: 'water_level' }, metric: 'level_cm', levels: { above: 30, clear_below: 25 } },
      { id: 'wl-other-grid', kind: 'threshold', severity: 'red', match: { kind: 'water_level', grid: 'g-2' }, metric: 'level_cm', levels: { above: 50 } },
      { id: 'wl-rate', kind: 'rate', severity: 'red', match: { kind: 'water_level' }, metric: 'level_cm', levels: {} },
      { id: 'wl-battery', kind: 'threshold', severity: 'blue', match: { kind: 'water_level' }, metric: 'battery', levels: { below: 10 } },
    ];
    expect(thresholdLines(rules, wl, 'level_cm', cat)).toEqual([
      { value: 30, label: 'wl-high > 30', color: '#f97316' },
      { value: 20, label: 'warning', color: '#f59e0b' },
    ]);
    expect(thresholdLines(rules, wl, 'battery', { warnLabel: 'w', alarmLabel: 'a' })).toEqual([{ value: 10, label: 'wl-battery < 10', color: '#3b82f6' }]);
  });

  it('keeps at most three lines, the most severe rules first', () => {
    const rules: RuleLevelsRow[] = (['blue', 'yellow', 'orange', 'red'] as const).map((severity, i) => (
      { id: `r-${severity}`, kind: 'threshold', severity, match: { kind: 'water_level', device: ['wl-1'] }, metric: 'level_cm', levels: { above: 40 + i } }));
    expect(thresholdLines(rules, wl, 'level_cm', cat).map((l) => l.label)).toEqual(['r-red > 43', 'r-orange > 42', 'r-yellow > 41']);
  });
});

describe('forecastProjection', () => {
  const alert = { rule: 'wl-forecast', ruleKind: 'forecast', devices: ['wl-1'], state: 'firing' as const, values: { level_cm: 21, crosses: 30, eta_min: 12, slope_per_min: 0.75 } };

  it('projects from the latest point to the crossing level at now + eta_min', () => {
    const p = forecastProjection([alert], 'wl-1', 'level_cm', { ts: T - 30_000, value: 21 }, T);
    expect(p).toEqual({ points: [[T - 30_000, 21], [T + 12 * 60_000, 30]], crosses: 30, etaMin: 12, rule: 'wl-forecast' });
  });

  it('follows slope_per_min when eta_min is missing', () => {
    const { eta_min: _e, ...values } = alert.values;
    const p = forecastProjection([{ ...alert, values }], 'wl-1', 'level_cm', { ts: T, value: 24 }, T);
    expect(p?.points).toEqual([[T, 24], [T + 8 * 60_000, 30]]);
    expect(p?.etaMin).toBe(8);
  });

  it('is null without an active forecast alert of this device and metric, or without a latest point', () => {
    const latest = { ts: T, value: 21 };
    expect(forecastProjection([], 'wl-1', 'level_cm', latest, T)).toBeNull();
    expect(forecastProjection([{ ...alert, state: 'resolved' }], 'wl-1', 'level_cm', latest, T)).toBeNull();
    expect(forecastProjection([{ ...alert, ruleKind: 'threshold' }], 'wl-1', 'level_cm', latest, T)).toBeNull();
    expect(forecastProjection([alert], 'wl-2', 'level_cm', latest, T)).toBeNull();
    expect(forecastProjection([alert], 'wl-1', 'battery', latest, T)).toBeNull();
    expect(forecastProjection([alert], 'wl-1', 'level_cm', null, T)).toBeNull();
  });
});
