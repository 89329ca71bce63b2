// Proves the sensor catalogue is internally consistent and that device conditions follow each metric's direction and alarm value.
import { describe, expect, it } from 'vitest';
import {
  CATALOGUE, DEVICE_KINDS, SENSOR_KINDS, conditionOf, conditionOfMetric, isSensorKind, metricsOf, worstCondition,
  type Condition, type NumberMetric,
} from './catalogue.js';

const numberMetrics = SENSOR_KINDS.flatMap((kind) =>
  Object.entries(CATALOGUE[kind]).flatMap(([name, spec]) => (spec.type === 'number' ? [{ kind, name, spec }] : [])));

describe('catalogue', () => {
  it('covers exactly the sensor kinds, each with at least one metric; cameras have none', () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual([...SENSOR_KINDS].sort());
    for (const kind of SENSOR_KINDS) expect(Object.keys(metricsOf(kind)).length, kind).toBeGreaterThan(0);
    expect(metricsOf('camera')).toEqual({});
    expect(DEVICE_KINDS).toContain('camera');
    expect(isSensorKind('water_level')).toBe(true);
    expect(isSensorKind('camera')).toBe(false);
  });

  it('lists the SPEC metrics of every kind', () => {
    expect(Object.keys(CATALOGUE.air_quality).sort()).toEqual(['no2', 'o3', 'pm10', 'pm25']);
    expect(Object.keys(CATALOGUE.traffic).sort()).toEqual(['flow', 'occupancy', 'speed']);
    expect(Object.keys(CATALOGUE.manhole_cover).sort()).toEqual(['open', 'tilt_deg']);
    expect(Object.keys(CATALOGUE.streetlight).sort()).toEqual(['on', 'power_w']);
    expect(Object.keys(CATALOGUE.water_level)).toEqual(['level_cm']);
  });

  it.each(numberMetrics.map((m) => [`${m.kind}.${m.name}`, m.spec] as const))('%s has a unit, min < max and warn/alarm inside the range in the right order', (_label, spec: NumberMetric) => {
    expect(spec.unit.length).toBeGreaterThan(0);
    expect(spec.min).toBeLessThan(spec.max);
    for (const level of [spec.warn, spec.alarm]) {
      if (level === undefined) continue;
      expect(level).toBeGreaterThanOrEqual(spec.min);
      expect(level).toBeLessThanOrEqual(spec.max);
    }
    if (spec.warn !== undefined && spec.alarm !== undefined) {
      if (spec.direction === 'below') expect(spec.alarm).toBeLessThan(spec.warn);
      else expect(spec.alarm).toBeGreaterThan(spec.warn);
    }
  });
});

describe('conditions', () => {
  it('above-direction metrics: warn and alarm at or above their levels', () => {
    expect(conditionOf('water_level', { level_cm: 14.9 })).toBe('ok');
    expect(conditionOf('water_level', { level_cm: 15 })).toBe('warn');
    expect(conditionOf('water_level', { level_cm: 29 })).toBe('warn');
    expect(conditionOf('water_level', { level_cm: 30 })).toBe('alarm');
    expect(conditionOf('water_level', { level_cm: 35 })).toBe('alarm');
  });

  it('traffic speed is a below-direction metric: low is bad', () => {
    expect(CATALOGUE.traffic.speed).toMatchObject({ direction: 'below' });
    expect(conditionOf('traffic', { speed: 60 })).toBe('ok');
    expect(conditionOf('traffic', { speed: 20 })).toBe('warn');
    expect(conditionOf('traffic', { speed: 12 })).toBe('warn');
    expect(conditionOf('traffic', { speed: 8 })).toBe('alarm');
    expect(conditionOf('traffic', { speed: 3 })).toBe('alarm');
  });

  it('bridge strain is judged by magnitude (compression as well as tension)', () => {
    expect(conditionOf('bridge', { strain_ue: -1600 })).toBe('alarm');
    expect(conditionOf('bridge', { strain_ue: -900 })).toBe('warn');
    expect(conditionOf('bridge', { strain_ue: -100 })).toBe('ok');
  });

  it('metrics without levels are always ok', () => {
    expect(conditionOf('traffic', { flow: 300 })).toBe('ok');
    expect(conditionOf('weather', { humidity_pct: 100 })).toBe('ok');
  });

  it('boolean metrics: alarm only at their alarmWhen value', () => {
    expect(conditionOf('manhole_cover', { open: true })).toBe('alarm');
    expect(conditionOf('manhole_cover', { open: false })).toBe('ok');
    expect(conditionOf('streetlight', { on: true })).toBe('ok');
    expect(conditionOf('streetlight', { on: false })).toBe('ok');
    expect(conditionOfMetric({ type: 'boolean', alarmWhen: false }, false)).toBe('alarm');
  });

  it('a device takes the worst of its metrics and ignores metrics it does not have', () => {
    expect(conditionOf('traffic', { flow: 10, speed: 50, occupancy: 90 })).toBe('alarm');
    expect(conditionOf('manhole_cover', { tilt_deg: 6, open: false })).toBe('warn');
    expect(conditionOf('air_quality', { laeq: 140 })).toBe('ok');
    expect(conditionOf('camera', {})).toBe('ok');
  });

  it('worstCondition ranks alarm > warn > ok and is ok for nothing', () => {
    const c = (...list: Condition[]) => worstCondition(list);
    expect(c()).toBe('ok');
    expect(c('ok', 'ok')).toBe('ok');
    expect(c('ok', 'warn', 'ok')).toBe('warn');
    expect(c('warn', 'alarm', 'ok')).toBe('alarm');
    expect(c('alarm', 'warn')).toBe('alarm');
    expect(worstCondition(new Set<Condition>(['warn']))).toBe('warn');
  });
});
