// Sensor faults scenario: three devices stop telling the truth, one after the other, until a
// maintenance round repairs them. A gas detector goes silent (it stays connected but sends nothing:
// gas-sensor-silent after 5 min), an air station gets stuck repeating the same payload
// (pm25-stuck after 2 h) and a weather station's thermometer turns noisy, jumping 6-12 °C between
// readings (weather-sensor-erratic, an anomaly against its own recent normal).
//
// Timeline in scenario time (speed 1, the demo rules as written):
//   normal   from 0       all three report normally
//   silent   from 2 min   the gas detector stops sending
//   stuck    from 4 min   the air station repeats its payload, exactly
//   noisy    from 6 min   the thermometer jumps (later if needed: it starts once the station has
//                         sent ~40 normal readings, so the anomaly rule has learned its normal)
//   done     ~2 h 19 min  repaired: back to the normal models (the station stays stuck for
//                         2 h 15 min, longer at high speeds so that 2 h of wall time pass)
import type { CityDevice } from '@citygrid/contract/node';
import { createModel } from '../kinds/index.js';
import { fit, HOUR, MINUTE, type Metrics } from '../model.js';
import { rngFor } from '../random.js';
import { byId, chosenDevice, lasting, makeRun, span, target } from './common.js';
import type { ScenarioContext, ScenarioDefinition, ScenarioRun, ScenarioTarget } from './types.js';

export const SENSOR_FAULTS = {
  silentAtMs: 2 * MINUTE,
  stuckAtMs: 4 * MINUTE,
  noisyAtMs: 6 * MINUTE,
  /** Normal readings the noisy station sends before it turns noisy (the anomaly rule needs 30). */
  normalReadingsBeforeNoise: 40,
  /** Temperature jumps (°C) either way, and humidity jumps (%). */
  jumpC: [6, 12] as const,
  jumpHumidity: 20,
  /** The faults last until the stuck station has been stuck this long (rule time), with a margin. */
  stuckHoldMs: 2 * HOUR,
  repairMs: 2 * HOUR + 15 * MINUTE,
} as const;

/** Silent: a gas detector (or water gauge); stuck: an air station; noisy: a weather station. The chosen device takes its kind's role. */
export function pickFaultTargets(devices: readonly CityDevice[], deviceId?: string): { silent: CityDevice | null; stuck: CityDevice | null; noisy: CityDevice | null } {
  const chosen = chosenDevice('sensor-faults', { devices, device: deviceId } as ScenarioContext, ['gas', 'water_level', 'air_quality', 'weather'], 'a gas, water_level, air_quality or weather device');
  const first = (...kinds: CityDevice['kind'][]) => {
    if (chosen && kinds.includes(chosen.kind)) return chosen;
    for (const kind of kinds) {
      const d = devices.filter((x) => x.kind === kind).sort(byId)[0];
      if (d) return d;
    }
    return null;
  };
  const picked = { silent: first('gas', 'water_level'), stuck: first('air_quality'), noisy: first('weather') };
  if (!picked.silent && !picked.stuck && !picked.noisy) throw new Error('sensor-faults scenario: the simulated devices include no gas, water_level, air_quality or weather device');
  return picked;
}

export const sensorFaultsScenario: ScenarioDefinition = {
  name: 'sensor-faults',
  description: 'devices that stop telling the truth: a silent gas detector, a stuck air station and a noisy thermometer, until they are repaired',
  start(ctx: ScenarioContext): ScenarioRun {
    const { silent, stuck, noisy } = pickFaultTargets(ctx.devices, ctx.device);
    const reportEvery = ctx.reportEveryMs ?? 5_000;
    const tSilent = SENSOR_FAULTS.silentAtMs;
    const tStuck = SENSOR_FAULTS.stuckAtMs;
    const tNoisy = Math.max(SENSOR_FAULTS.noisyAtMs, SENSOR_FAULTS.normalReadingsBeforeNoise * reportEvery);
    const end = tStuck + lasting(ctx, SENSOR_FAULTS.repairMs, SENSOR_FAULTS.stuckHoldMs, 1.1);
    // the stuck station repeats what it read when it got stuck
    const frozen: Metrics | null = stuck ? createModel('air_quality', { deviceId: stuck.id, seed: ctx.seed, env: ctx.env }).sample(ctx.startSimTime + tStuck) : null;

    const noisyReading = (id: string, s: number): Metrics => {
      const t = ctx.startSimTime + s;
      const r = rngFor(ctx.seed, id, 'sensor-faults-noise', Math.round(s));
      const jump = r.uniform(...SENSOR_FAULTS.jumpC) * (r.chance(0.5) ? 1 : -1);
      const temp = ctx.env.temperature(t) + jump;
      const humidity = 65 - 2.8 * (ctx.env.temperature(t) - 24) + r.uniform(-1, 1) * SENSOR_FAULTS.jumpHumidity;
      return {
        temp_c: fit('weather', 'temp_c', temp),
        humidity_pct: fit('weather', 'humidity_pct', Math.min(100, Math.max(5, humidity)), 0),
        wind_m_s: fit('weather', 'wind_m_s', 2 + r.uniform(0, 1.5)),
      };
    };

    const notes: string[] = [];
    if (!silent) notes.push('no gas detector or water gauge among the simulated devices: no silent device');
    if (!stuck) notes.push('no air station among the simulated devices: no stuck device');
    if (!noisy) notes.push('no weather station among the simulated devices: no noisy device');
    const silentRule = silent?.kind === 'water_level' ? 'water-gauge-silent after 10 min' : 'gas-sensor-silent after 5 min';
    const timeline = [
      { phase: 'normal', at: 0 },
      ...(silent ? [{ phase: 'silent', at: tSilent }] : []),
      ...(stuck ? [{ phase: 'stuck', at: tStuck }] : []),
      ...(noisy ? [{ phase: 'noisy', at: tNoisy }] : []),
      { phase: 'done', at: end },
    ].sort((a, b) => a.at - b.at);
    const descriptions = {
      normal: `normal: ${[silent, stuck, noisy].filter(Boolean).map((d) => d!.id).join(', ')} report normally`,
      silent: `silent: ${silent?.id} stops sending, still connected (${silentRule})`,
      stuck: `stuck: ${stuck?.id} repeats pm25 ${frozen?.pm25} µg/m³, exactly, until repaired in ${span(end - tStuck, ctx.speed)} (pm25-stuck after 2 h)`,
      noisy: `noisy: ${noisy?.id}'s thermometer jumps ${SENSOR_FAULTS.jumpC[0]}-${SENSOR_FAULTS.jumpC[1]} °C between readings (weather-sensor-erratic)`,
      done: 'done: repaired, back to the normal simulation',
    };
    const roles: ScenarioTarget[] = [
      ...(silent ? [target(silent, 'silent')] : []),
      ...(stuck ? [target(stuck, 'stuck')] : []),
      ...(noisy ? [target(noisy, 'noisy')] : []),
    ];
    const summary = `faults: silent ${silent?.id ?? 'none'}, stuck ${stuck?.id ?? 'none'}, noisy ${noisy?.id ?? 'none'}; `
      + `the storyline takes ${span(end, ctx.speed)} at speed ${ctx.speed}`;

    return makeRun({
      name: 'sensor-faults',
      roles,
      timeline,
      summary,
      notes,
      descriptions,
      telemetry(deviceId, s) {
        if (deviceId === stuck?.id && s >= tStuck) return { ...frozen! };
        if (deviceId === noisy?.id && s >= tNoisy) return noisyReading(deviceId, s);
        return null;
      },
      silent: (deviceId, s) => deviceId === silent?.id && s >= tSilent,
    });
  },
};
