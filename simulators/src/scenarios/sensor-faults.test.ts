// Proves the sensor faults on the demo city, in scenario time on an anchored clock: the gas detector
// goes silent for far longer than gas-sensor-silent's 5 min, the air station repeats one payload for
// over pm25-stuck's 2 h, and the thermometer jumps 6-12 °C between readings (weather-sensor-erratic)
// after enough normal readings for the anomaly rule to learn from; then all are repaired.
import { describe, expect, it } from 'vitest';
import { Environment } from '../environment.js';
import { pickFaultTargets } from './sensor-faults.js';
import { ANCHOR, checkPayloads, checkTimeline, demoDevices, device, HOUR, MINUTE, phaseStart, SECOND, start, trace } from './test-support.js';

describe('sensor-faults scenario on the demo city', () => {
  const run = start('sensor-faults');
  const id = (role: string) => run.roles.find((r) => r.role === role)!.id;

  it('takes a gas detector, an air station and a weather station, and plays normal, silent, stuck, noisy, done', () => {
    expect(run.roles.map((r) => [r.id, r.role])).toEqual([['gas-0001', 'silent'], ['aq-0001', 'stuck'], ['wx-0001', 'noisy']]);
    expect(run.timeline.map((p) => p.phase)).toEqual(['normal', 'silent', 'stuck', 'noisy', 'done']);
    expect(checkTimeline(run)).toEqual([]);
    expect(run.notes).toEqual([]);
  });

  it('silences the gas detector from the silent phase until repaired, over 5 min', () => {
    const silent = id('silent');
    expect(run.silent!(silent, phaseStart(run, 'silent') - 1)).toBe(false);
    expect(run.telemetry(silent, 0)).toBeNull(); // normal until then: its own model
    for (let s = phaseStart(run, 'silent'); s < phaseStart(run, 'done'); s += MINUTE) expect(run.silent!(silent, s)).toBe(true);
    expect(phaseStart(run, 'done') - phaseStart(run, 'silent')).toBeGreaterThan(5 * MINUTE);
    expect(run.silent!(id('stuck'), phaseStart(run, 'stuck') + MINUTE)).toBe(false);
  });

  it('repeats exactly the same air payload for over 2 h', () => {
    const stuck = id('stuck');
    expect(run.telemetry(stuck, phaseStart(run, 'stuck') - 1)).toBeNull();
    const first = JSON.stringify(run.telemetry(stuck, phaseStart(run, 'stuck')));
    for (let s = phaseStart(run, 'stuck'); !run.done(s); s += 5 * SECOND) expect(JSON.stringify(run.telemetry(stuck, s))).toBe(first);
    expect(phaseStart(run, 'done') - phaseStart(run, 'stuck')).toBeGreaterThan(2 * HOUR + 10 * MINUTE);
  });

  it('makes the thermometer jump 6-12 °C away from the real temperature, either way', () => {
    const noisy = id('noisy');
    const env = new Environment(7);
    expect(run.telemetry(noisy, phaseStart(run, 'noisy') - 1)).toBeNull();
    let up = 0;
    let down = 0;
    for (let s = phaseStart(run, 'noisy'); !run.done(s); s += 5 * SECOND) {
      const jump = (run.telemetry(noisy, s)!.temp_c as number) - env.temperature(ANCHOR + s);
      expect(Math.abs(jump)).toBeGreaterThanOrEqual(5.9);
      expect(Math.abs(jump)).toBeLessThanOrEqual(12.1);
      if (jump > 0) up++;
      else down++;
    }
    expect(up).toBeGreaterThan(100);
    expect(down).toBeGreaterThan(100);
  });

  it('sends payloads the server accepts, and is deterministic for a seed', () => {
    expect(checkPayloads(run, 30 * SECOND).telemetry).toBeGreaterThan(400);
    expect(trace(start('sensor-faults', { seed: 3 }), MINUTE)).toEqual(trace(start('sensor-faults', { seed: 3 }), MINUTE));
    expect(trace(start('sensor-faults', { seed: 3 }), MINUTE)).not.toEqual(trace(start('sensor-faults', { seed: 4 }), MINUTE));
  });
});

describe('sensor-faults timing', () => {
  it('stays stuck for over 2 wall hours at any speed, or its natural length when the rules are as fast as the replay', () => {
    for (const speed of [10, 60]) {
      const run = start('sensor-faults', { speed });
      expect((phaseStart(run, 'done') - phaseStart(run, 'stuck')) / speed).toBeGreaterThan(2 * HOUR);
    }
    expect(start('sensor-faults', { speed: 360, ruleTimeScale: 360 }).timeline).toEqual(start('sensor-faults').timeline);
  });

  it('turns noisy only after ~40 normal readings, however far apart the simulator sends them', () => {
    expect(phaseStart(start('sensor-faults', { reportEveryMs: 5 * SECOND }), 'noisy')).toBe(6 * MINUTE);
    expect(phaseStart(start('sensor-faults', { reportEveryMs: 36 * SECOND }), 'noisy')).toBe(40 * 36 * SECOND);
  });
});

describe('sensor-faults targets', () => {
  it('gives a chosen device the role of its kind, plays what the city has, and refuses other kinds', () => {
    expect(pickFaultTargets(demoDevices(), 'wl-0003').silent?.id).toBe('wl-0003');
    expect(start('sensor-faults', { device: 'wl-0003' }).describe('silent')).toMatch(/water-gauge-silent after 10 min/);
    expect(pickFaultTargets(demoDevices(), 'aq-0007')).toMatchObject({ silent: { id: 'gas-0001' }, stuck: { id: 'aq-0007' }, noisy: { id: 'wx-0001' } });
    const onlyWeather = start('sensor-faults', { devices: [device('wx-a', 'weather', 'g-1', [114.3, 30.6])] });
    expect(onlyWeather.timeline.map((p) => p.phase)).toEqual(['normal', 'noisy', 'done']);
    expect(onlyWeather.notes).toHaveLength(2);
    expect(() => start('sensor-faults', { device: 'cam-0001' })).toThrow(/cam-0001 is of kind camera/);
    expect(() => start('sensor-faults', { devices: [device('cam-a', 'camera', 'g-1', [114.3, 30.6])] })).toThrow(/no gas, water_level, air_quality or weather/);
  });
});
