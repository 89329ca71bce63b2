// Rainstorm (暴雨) scenario: a storm settles over one district. The district's rain gauges pour
// 60-90 mm/h (heavy-rain), the drains cope for a while, then the water rises in the low-lying cells
// and underpasses: fast in the main underpass (the forecast warns first, water-rising-fast, then
// underpass-flooding), slower in up to two more low spots nearby, and the cameras in the flooded
// cells see stalled vehicles (waterlogging-incident). Then the rain eases and the water drains.
//
// Timeline in scenario time (speed 1, the demo rules as written):
//   normal    0 .. 2 min     everything normal
//   rain      ~6 min         rain ramps up to 60-90 mm/h on the district's gauges; the drains cope
//                             (longer at high speeds, so heavy-rain's 5 min hold and the forecast's
//                             window pass in wall time)
//   rising    ~15 min        the main underpass rises ~2.5 cm/min to ~46 cm; others ~1.3-1.6 cm/min to ~35 cm
//   peak      10 min         the water holds while the rain eases off
//   draining  ~16 min        ~2.5 cm/min back to normal
//   done                     every target back to its normal model
import type { CityDevice } from '@citygrid/contract/node';
import { createModel } from '../kinds/index.js';
import { fit, MINUTE } from '../model.js';
import { rngFor, smoothNoise } from '../random.js';
import { byId, chosenDevice, distanceKm, jitter, makeRun, nearest, smoothstep, span, target, wallFactor } from './common.js';
import { FLOODING, FloodingModel, pickFloodingTarget, type FloodShape } from './flooding.js';
import type { ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';

export const RAINSTORM = {
  normalMs: 2 * MINUTE,
  /** Rain ramps up over this time. */
  rainRampMs: 3 * MINUTE,
  /** The drains cope for at least this long after the rain starts, before the water rises. */
  copeMs: 6 * MINUTE,
  /** Peak rainfall per gauge (mm/h), drawn from this range. */
  rainPeakMmH: [62, 88] as const,
  /** The storm reaches a gauge this much later per km from the main underpass. */
  lagPerKmMs: 20_000,
  /** The main underpass: a fast rise (water-rising-fast wants 10 cm in 5 min). */
  main: { onsetMs: 3 * MINUTE, riseCmPerMin: 2.5, peakCm: [44, 48], holdMs: 10 * MINUTE, drainCmPerMin: 2.5 } satisfies FloodShape,
  /** The other low spots: slower, lower, but still over 30 cm. */
  other: { onsetMs: 3 * MINUTE, riseCmPerMin: 1.4, peakCm: [34, 37], holdMs: 2 * MINUTE, drainCmPerMin: 2 } satisfies FloodShape,
  /** How many other gauges of the district flood, and rain gauges pour. */
  otherGauges: 2,
  rainGauges: 4,
  /** The demo rules the storyline is timed for (their hold times, in rule time). */
  heavyRainHoldMs: 5 * MINUTE,
  heavyRainMmH: 50,
} as const;

export interface RainstormTargets {
  gauges: CityDevice[];
  rainGauges: CityDevice[];
  /** Each flooded gauge's camera (the first in its cell), by gauge id. */
  cameras: Map<string, CityDevice>;
}

const lowSpot = (d: CityDevice) => /underpass|low street|地道|下穿|隧道|低洼/i.test(d.name ?? '');

/** The main gauge (chosen, or flooding's pick), up to two more low spots in its district, its district's rain gauges and the flooded cells' cameras. */
export function pickRainstormTargets(devices: readonly CityDevice[], deviceId?: string): RainstormTargets {
  const ctx = { devices, device: deviceId } as ScenarioContext;
  const main = chosenDevice('rainstorm', ctx, ['water_level'], 'a water_level gauge') ?? pickFloodingTarget(devices).gauge;
  const inDistrict = devices.filter((d) => d.district === main.district);
  const candidates = nearest(inDistrict, main, 'water_level').filter((d) => d.grid !== main.grid);
  const others = [...candidates.filter(lowSpot), ...candidates.filter((d) => !lowSpot(d))].slice(0, RAINSTORM.otherGauges);
  const gauges = [main, ...others];
  const rainGauges = [...devices.filter((d) => d.kind === 'rainfall' && d.grid === main.grid), ...nearest(inDistrict, main, 'rainfall')]
    .filter((d, i, all) => all.findIndex((x) => x.id === d.id) === i)
    .slice(0, RAINSTORM.rainGauges);
  const cameras = new Map<string, CityDevice>();
  for (const g of gauges) {
    const camera = devices.filter((d) => d.kind === 'camera' && d.grid === g.grid).sort(byId)[0];
    if (camera) cameras.set(g.id, camera);
  }
  return { gauges, rainGauges, cameras };
}

export const rainstormScenario: ScenarioDefinition = {
  name: 'rainstorm',
  description: 'a rainstorm over one district: heavy rain, then water rising in its underpasses and low streets, stalled vehicles on camera, then the drain',
  start(ctx: ScenarioContext): ScenarioRun {
    const { gauges, rainGauges, cameras } = pickRainstormTargets(ctx.devices, ctx.device);
    const main = gauges[0]!;
    const factor = wallFactor(ctx);
    const baseOf = (g: CityDevice) => {
      const level = createModel('water_level', { deviceId: g.id, seed: ctx.seed, env: ctx.env }).sample(ctx.startSimTime).level_cm;
      return typeof level === 'number' ? level : undefined;
    };
    const modelFor = (g: CityDevice, shape: FloodShape, rainAt: number, drainAt?: number) => new FloodingModel({
      seed: ctx.seed, gauge: g.id, camera: cameras.get(g.id)?.id ?? null, baseCm: baseOf(g), shape, rainAt, ...(drainAt !== undefined ? { drainAt } : {}),
    });

    // when the water starts to rise: after the drains cope, and late enough that (in wall time) the
    // forecast has 4 min of readings when the level reaches 15 cm and the rain stays heavy for heavy-rain's hold
    const tRain = RAINSTORM.normalMs;
    const probe = modelFor(main, RAINSTORM.main, 0).timeline;
    const toForecastLevel = (() => {
      const m = modelFor(main, RAINSTORM.main, 0);
      let s = 0;
      while (m.level(s) < FLOODING.forecastAtCm && s < probe.peak) s += 5_000;
      return s;
    })();
    const heavyFrom = tRain + 0.65 * RAINSTORM.rainRampMs;
    const heavyInProbe = probe.peak + 0.3 * (probe.draining - probe.peak); // rain stays over 50 mm/h until about here
    const tFlood = Math.max(
      tRain + RAINSTORM.copeMs,
      factor * FLOODING.forecastLeadWallMs - toForecastLevel,
      heavyFrom + factor * RAINSTORM.heavyRainHoldMs * 1.5 - heavyInProbe,
    );
    const mainModel = modelFor(main, RAINSTORM.main, tFlood);
    const t = mainModel.timeline;
    const otherModels = gauges.slice(1).map((g, i) => modelFor(g, RAINSTORM.other, tFlood + (1.5 + 1.5 * i) * MINUTE, t.draining));
    const models = new Map([[main.id, mainModel], ...gauges.slice(1).map((g, i) => [g.id, otherModels[i]!] as const)]);
    const byCamera = new Map([...cameras].map(([gaugeId, camera]) => [camera.id, models.get(gaugeId)!]));

    // the rain: the same storm on every gauge, a little later the further it is from the main underpass
    const rain = new Map(rainGauges.map((g) => {
      const p = rngFor(ctx.seed, g.id, 'rainstorm');
      return [g.id, { peak: p.uniform(...RAINSTORM.rainPeakMmH), lag: Math.round(distanceKm(main.location, g.location) * RAINSTORM.lagPerKmMs) }];
    }));
    const rainEnd = t.draining + Math.max(...[...rain.values()].map((r) => r.lag), 0);
    const rainAt = (id: string, s: number): number => {
      const r = rain.get(id)!;
      const x = s - r.lag;
      if (x < tRain || x >= t.draining) return 0;
      let shape = smoothstep(tRain, tRain + RAINSTORM.rainRampMs, x);
      if (x >= t.peak) shape = (1 + Math.cos((Math.PI * (x - t.peak)) / (t.draining - t.peak))) / 2;
      return r.peak * shape * (1 + 0.05 * smoothNoise(ctx.seed, `${id}/rainstorm-gusts`, x, 3 * MINUTE));
    };
    const end = Math.max(rainEnd, ...[...models.values()].map((m) => m.timeline.done));

    const notes: string[] = [];
    if (cameras.size === 0) notes.push(`no flooded cell (${gauges.map((g) => g.grid).join(', ')}) has a camera: no stalled vehicles, so the waterlogging-incident rule cannot fire`);
    if (rainGauges.length === 0) notes.push(`district ${main.district} has no rain gauge: the storm shows only in the water levels`);
    const aboveWallS = ((mainModel.peakCm - 30) / RAINSTORM.main.riseCmPerMin + (t.draining - t.peak) / MINUTE) * 60 / factor;
    if (aboveWallS < 45) notes.push(`at speed ${ctx.speed} the water stays above 30 cm for only ~${Math.round(aboveWallS)} s of wall time: the underpass-flooding rule (for: 30s) may not fire; use a speed of 30 or less`);

    const list = (ds: CityDevice[]) => ds.map((d) => d.id).join(', ') || 'none';
    const descriptions = {
      normal: `normal: a storm is coming to district ${main.district}; rain in ${span(tRain, ctx.speed)}`,
      rain: `rain: ~${Math.round(Math.min(...[...rain.values()].map((r) => r.peak)))}-${Math.round(Math.max(...[...rain.values()].map((r) => r.peak)))} mm/h on ${list(rainGauges)}; the drains cope for ${span(tFlood - tRain, ctx.speed)}`,
      rising: `rising: ${main.id} (${main.grid}) ~${RAINSTORM.main.riseCmPerMin} cm/min towards ~${Math.round(mainModel.peakCm)} cm, `
        + `${gauges.slice(1).map((g, i) => `${g.id} (${g.grid}) ~${RAINSTORM.other.riseCmPerMin} cm/min towards ~${Math.round(otherModels[i]!.peakCm)} cm`).join(', ') || 'no other low spot'}; the forecast warning comes first`,
      peak: `peak: ${main.id} at ~${Math.round(mainModel.peakCm)} cm${cameras.size ? `; stalled vehicles on ${[...cameras.values()].map((c) => c.id).join(', ')}` : ''}; the rain eases off`,
      draining: `draining: the rain stops and the water drains away`,
      done: `done: ${gauges.length + rainGauges.length + cameras.size} devices back to the normal simulation`,
    };
    const summary = `storm over district ${main.district}: underpass ${main.id} in cell ${main.grid} floods, with ${list(gauges.slice(1))}; rain gauges ${list(rainGauges)}; cameras ${list([...cameras.values()])}; `
      + `the storyline takes ${span(end, ctx.speed)} at speed ${ctx.speed}`;

    return makeRun({
      name: 'rainstorm',
      roles: [
        target(main, 'main-gauge'),
        ...gauges.slice(1).map((g) => target(g, 'gauge')),
        ...rainGauges.map((g) => target(g, 'rain-gauge')),
        ...[...cameras.values()].map((c) => target(c, 'camera')),
      ],
      timeline: [
        { phase: 'normal', at: 0 },
        { phase: 'rain', at: tRain },
        { phase: 'rising', at: tFlood },
        { phase: 'peak', at: t.peak },
        { phase: 'draining', at: t.draining },
        { phase: 'done', at: end },
      ],
      summary,
      notes,
      descriptions,
      cameraTypes: ['stalled_vehicle', 'waterlogging'],
      telemetry(deviceId, s) {
        const model = models.get(deviceId);
        if (model) return model.gaugeReading(s);
        const r = rain.get(deviceId);
        if (r) {
          if (s - r.lag < tRain) return null;
          return { mm_h: fit('rainfall', 'mm_h', rainAt(deviceId, s) * (1 + jitter(ctx.seed, deviceId, 'rainstorm-noise', s, 0.02))) };
        }
        return null;
      },
      events(deviceId, from, to) {
        return byCamera.get(deviceId)?.detectionsBetween(from, to).map((d) => d.event) ?? [];
      },
    });
  },
};
