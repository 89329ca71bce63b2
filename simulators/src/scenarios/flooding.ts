// Flooding scenario: a rainstorm over one grid cell floods an underpass, so the early-warning chain
// plays in order. The water rises steadily (the forecast rule sees it coming), crosses 30 cm (the
// threshold rule), a camera in the same cell sees a stalled vehicle (the composite incident), and
// then the water drains away. The rest of the city keeps its normal simulation.
//
// Timeline in scenario time (scenario time = elapsed wall time × speed):
//   normal    0 .. 2 min     the gauge at its normal level (stretched at high speeds, see leadInMs)
//   rain      3 min          heavy rain ramps up to 60-80 mm/h; the water starts to respond
//   rising    ~35 min        about 1 cm/min, nearly linear, up to ~40 cm
//   peak      8 min          holds ~40 cm while the rain eases off
//   draining  ~18 min        about 2 cm/min back to the normal level
//   done                     the targets are back to their normal models
import type { CameraEventType } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { MAX_EVENTS_PER_SPAN, type CameraDetection } from '../camera.js';
import { createModel } from '../kinds/index.js';
import { fit, MINUTE, type Metrics } from '../model.js';
import { rngFor, smoothNoise } from '../random.js';
import { makeRun, target, wallFactor } from './common.js';
import type { ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';

export const FLOODING_PHASES = ['normal', 'rain', 'rising', 'peak', 'draining', 'done'] as const;
export type FloodingPhase = (typeof FLOODING_PHASES)[number];

/** The storyline's shape. Rates are per minute of scenario time. */
export const FLOODING = {
  /** Shortest normal lead-in before the rain. */
  normalMs: 2 * MINUTE,
  /** Rain ramps up over this time while the water's rise speeds up from 0 to `riseCmPerMin`. */
  onsetMs: 3 * MINUTE,
  riseCmPerMin: 1,
  /** The flood's peak is drawn from this range (cm). */
  peakCm: [39, 41],
  holdMs: 8 * MINUTE,
  drainCmPerMin: 2,
  /** Peak rainfall is drawn from this range (mm/h); gusts and the gauge's noise stay within ±7 %. */
  rainPeakMmH: [65, 75],
  /** The gauge's normal level is clamped into 0..this (cm), so the rise always has room to run. */
  maxBaseCm: 10,
  /** Readings carry noise within ±this (cm), triangular, so the steady trend shows through. */
  noiseCm: 0.3,
  /** The camera sees a stalled vehicle about every minute, and waterlogging about every 2 min, while the level is above this (cm). */
  cameraAboveCm: 25,
  stalledEveryMs: MINUTE,
  waterloggingEveryMs: 2 * MINUTE,
  /**
   * The server's forecast rule fits readings in a 10 min wall-time window and fires only once they
   * span a third of it (3.3 min). At high speeds the normal lead-in is stretched so that the gauge has
   * reported for at least `forecastLeadWallMs` of wall time when the level reaches `forecastAtCm`.
   */
  forecastLeadWallMs: 4 * MINUTE,
  forecastAtCm: 15,
} as const;

const DETECTION_ZONES: Record<'stalled_vehicle' | 'waterlogging', readonly string[]> = {
  stalled_vehicle: ['lane-1', 'lane-2'],
  waterlogging: ['lane-1', 'lane-2', 'crossing'],
};
const CONFIDENCE: Record<'stalled_vehicle' | 'waterlogging', readonly [number, number]> = {
  stalled_vehicle: [0.8, 0.95],
  waterlogging: [0.85, 0.97],
};

// ---- picking the target ------------------------------------------------------------------------

export interface FloodingTarget {
  /** The water_level device that floods. */
  gauge: CityDevice;
  grid: string;
  /** The cell's rain gauge and camera, or null when the cell has none. */
  rainGauge: CityDevice | null;
  camera: CityDevice | null;
}

const byId = (a: CityDevice, b: CityDevice) => a.id.localeCompare(b.id);
const mentionsUnderpass = (d: CityDevice) => /underpass|地道|下穿|隧道/i.test(d.name ?? '');

/**
 * The gauge that floods, among `devices`: `deviceId` when given (it must be a water_level device);
 * otherwise the first gauge (by id) in a cell that also has a camera, preferring one whose name
 * mentions an underpass; failing any such cell, the first underpass gauge; failing that, the first gauge.
 */
export function pickFloodingTarget(devices: readonly CityDevice[], deviceId?: string): FloodingTarget {
  const gauges = devices.filter((d) => d.kind === 'water_level').sort(byId);
  const inCell = (grid: string, kind: CityDevice['kind']) => devices.filter((d) => d.grid === grid && d.kind === kind).sort(byId)[0] ?? null;
  let gauge: CityDevice | undefined;
  if (deviceId !== undefined) {
    const chosen = devices.find((d) => d.id === deviceId);
    if (!chosen) throw new Error(`flooding scenario: device ${deviceId} is not one of the simulated devices`);
    if (chosen.kind !== 'water_level') throw new Error(`flooding scenario: device ${deviceId} is of kind ${chosen.kind}, not a water_level gauge`);
    gauge = chosen;
  } else {
    const score = (d: CityDevice) => (inCell(d.grid, 'camera') ? 2 : 0) + (mentionsUnderpass(d) ? 1 : 0);
    gauge = gauges.reduce<CityDevice | undefined>((best, d) => (best === undefined || score(d) > score(best) ? d : best), undefined);
  }
  if (!gauge) throw new Error('flooding scenario: the simulated devices include no water_level gauge');
  return { gauge, grid: gauge.grid, rainGauge: inCell(gauge.grid, 'rainfall'), camera: inCell(gauge.grid, 'camera') };
}

// ---- the model ---------------------------------------------------------------------------------

/** The flood's shape; FLOODING's values unless a scenario (e.g. rainstorm) gives its own. */
export interface FloodShape {
  onsetMs: number;
  riseCmPerMin: number;
  peakCm: readonly [number, number];
  holdMs: number;
  drainCmPerMin: number;
}

export interface FloodingModelOptions {
  seed: number;
  /** The ids that key each device's noise and events. */
  gauge: string;
  rainGauge?: string | null;
  camera?: string | null;
  /** The gauge's normal level (cm) the flood rises from and drains back to; default drawn from 3..8. */
  baseCm?: number;
  /** The simulator's speed: stretches the normal lead-in so the forecast has readings enough (default 1). */
  speed?: number;
  /** The rules' durations are this many times shorter than the demo's (default 1): see ScenarioContext. */
  ruleTimeScale?: number;
  /** Overrides of the flood's shape (default FLOODING's). */
  shape?: Partial<FloodShape>;
  /** When the rain (the rise's onset) starts, in scenario ms; default: after the normal lead-in. */
  rainAt?: number;
  /** The water starts draining no earlier than this (scenario ms): the peak holds longer. */
  drainAt?: number;
}

/** Scenario times (ms) at which each phase starts. */
export interface FloodingTimeline {
  rain: number;
  rising: number;
  peak: number;
  draining: number;
  done: number;
}

export interface TimedDetection {
  /** Scenario time of the detection (ms). */
  at: number;
  event: CameraDetection;
}

/** Pure functions of scenario time: the same seed and options give the same flood. */
export class FloodingModel {
  readonly baseCm: number;
  readonly peakCm: number;
  readonly rainPeakMmH: number;
  readonly timeline: FloodingTimeline;
  readonly shape: FloodShape;
  private readonly seed: number;
  private readonly ids: { gauge: string; rainGauge: string; camera: string };
  /** Water gained during the onset, while the rise speeds up from 0 to its steady rate. */
  private readonly onsetCm: number;

  constructor(options: FloodingModelOptions) {
    this.seed = options.seed;
    this.ids = { gauge: options.gauge, rainGauge: options.rainGauge ?? `${options.gauge}/rain`, camera: options.camera ?? `${options.gauge}/camera` };
    this.shape = {
      onsetMs: FLOODING.onsetMs, riseCmPerMin: FLOODING.riseCmPerMin, peakCm: FLOODING.peakCm, holdMs: FLOODING.holdMs, drainCmPerMin: FLOODING.drainCmPerMin,
      ...options.shape,
    };
    this.onsetCm = (this.shape.riseCmPerMin * this.shape.onsetMs) / MINUTE / 2;
    const p = rngFor(options.seed, options.gauge, 'flooding');
    const drawnBase = p.uniform(3, 8);
    this.peakCm = p.uniform(...this.shape.peakCm);
    this.rainPeakMmH = p.uniform(...FLOODING.rainPeakMmH);
    this.baseCm = Math.min(FLOODING.maxBaseCm, Math.max(0, options.baseCm ?? drawnBase));
    this.timeline = this.plan(wallFactor({ speed: options.speed ?? 1, ruleTimeScale: options.ruleTimeScale }), options.rainAt, options.drainAt);
  }

  /** The normal lead-in is 2 min, longer at high speeds: see FLOODING.forecastLeadWallMs. */
  private plan(factor: number, rainAt?: number, drainAt?: number): FloodingTimeline {
    const { onsetMs, riseCmPerMin, holdMs, drainCmPerMin } = this.shape;
    const toForecastLevel = onsetMs + ((FLOODING.forecastAtCm - this.baseCm - this.onsetCm) / riseCmPerMin) * MINUTE;
    const rain = rainAt ?? Math.max(FLOODING.normalMs, factor * FLOODING.forecastLeadWallMs - toForecastLevel);
    const rising = rain + onsetMs;
    const peak = rising + ((this.peakCm - this.baseCm - this.onsetCm) / riseCmPerMin) * MINUTE;
    const draining = Math.max(peak + holdMs, drainAt ?? 0);
    const done = draining + ((this.peakCm - this.baseCm) / drainCmPerMin) * MINUTE;
    return { rain, rising, peak, draining, done };
  }

  phase(s: number): FloodingPhase {
    const t = this.timeline;
    if (s < t.rain) return 'normal';
    if (s < t.rising) return 'rain';
    if (s < t.peak) return 'rising';
    if (s < t.draining) return 'peak';
    if (s < t.done) return 'draining';
    return 'done';
  }

  /** The water level (cm) without noise. */
  level(s: number): number {
    const t = this.timeline;
    const rate = this.shape.riseCmPerMin;
    if (s < t.rain) return this.baseCm;
    if (s < t.rising) {
      const x = (s - t.rain) / MINUTE; // the rise speeds up evenly from 0 to `rate`
      return this.baseCm + (rate * x * x) / (2 * (this.shape.onsetMs / MINUTE));
    }
    if (s < t.peak) return this.baseCm + this.onsetCm + (rate * (s - t.rising)) / MINUTE;
    if (s < t.draining) return this.peakCm;
    if (s < t.done) return this.peakCm - (this.shape.drainCmPerMin * (s - t.draining)) / MINUTE;
    return this.baseCm;
  }

  /** Rainfall over the cell (mm/h) without the gauge's noise: ramps up, pours, eases off over the peak. */
  rain(s: number): number {
    const t = this.timeline;
    if (s < t.rain || s >= t.draining) return 0;
    const gusts = 1 + 0.05 * smoothNoise(this.seed, `${this.ids.rainGauge}/flooding-rain`, s, 3 * MINUTE);
    let shape = 1;
    if (s < t.rising) {
      const x = (s - t.rain) / this.shape.onsetMs;
      shape = x * x * (3 - 2 * x); // smoothstep
    } else if (s >= t.peak) {
      shape = (1 + Math.cos((Math.PI * (s - t.peak)) / (t.draining - t.peak))) / 2;
    }
    return this.rainPeakMmH * shape * gusts;
  }

  /** The gauge's reading at `s`: the level with a little noise (deterministic for the instant). */
  gaugeReading(s: number): Metrics {
    const r = rngFor(this.seed, this.ids.gauge, 'flooding-noise', Math.round(s));
    const noise = (r.next() + r.next() - 1) * FLOODING.noiseCm; // triangular within ±noiseCm
    return { level_cm: fit('water_level', 'level_cm', this.level(s) + noise) };
  }

  /** The rain gauge's reading at `s`. */
  rainReading(s: number): Metrics {
    const r = rngFor(this.seed, this.ids.rainGauge, 'flooding-noise', Math.round(s));
    return { mm_h: fit('rainfall', 'mm_h', this.rain(s) * (1 + 0.02 * (2 * r.next() - 1))) };
  }

  /** The camera's flood detections in the scenario span (from, to], oldest first, at most MAX_EVENTS_PER_SPAN. */
  detectionsBetween(from: number, to: number): TimedDetection[] {
    if (!(to > from)) return [];
    const found = [
      ...this.slots('stalled_vehicle', FLOODING.stalledEveryMs, 0, from, to),
      ...this.slots('waterlogging', FLOODING.waterloggingEveryMs, 30_000, from, to),
    ];
    return found.sort((a, b) => a.at - b.at).slice(0, MAX_EVENTS_PER_SPAN);
  }

  /** One detection per `every` (jittered by up to ±30 %), kept while the water is above the camera's level. */
  private slots(type: 'stalled_vehicle' | 'waterlogging', every: number, offset: number, from: number, to: number): TimedDetection[] {
    const out: TimedDetection[] = [];
    // only the wet part of the storyline can hold detections
    const lo = Math.max(from, this.timeline.rising);
    const hi = Math.min(to, this.timeline.done);
    if (hi <= lo) return out;
    const first = Math.max(0, Math.floor((lo - offset) / every) - 1);
    const last = Math.ceil((hi - offset) / every) + 1;
    for (let k = first; k <= last; k++) {
      const rng = rngFor(this.seed, this.ids.camera, 'flooding', type, k);
      const at = k * every + offset + rng.uniform(-0.3, 0.3) * every;
      if (at <= from || at > to || !(this.level(at) > FLOODING.cameraAboveCm)) continue;
      const [min, max] = CONFIDENCE[type];
      const confidence = Math.round(rng.uniform(min, max) * 100) / 100;
      out.push({ at, event: { type, confidence, zone: rng.pick(DETECTION_ZONES[type]) } });
    }
    return out;
  }
}

// ---- the scenario ------------------------------------------------------------------------------

const MIN = (ms: number) => Math.round(ms / MINUTE);

/** The flooding run also names the cell's camera and rain gauge (null: the cell has none). */
export interface FloodingRun extends ScenarioRun {
  readonly camera: string | null;
  readonly rainGauge: string | null;
}

export const floodingScenario: ScenarioDefinition<FloodingRun> = {
  name: 'flooding',
  description: 'a rainstorm over one cell floods an underpass: forecast, threshold, a stalled vehicle on camera, then the water drains',
  start(ctx: ScenarioContext): FloodingRun {
    const picked = pickFloodingTarget(ctx.devices, ctx.device);
    const { gauge, rainGauge, camera, grid } = picked;
    // start from the level the gauge reads now, so it does not jump when the scenario takes over
    const normal = createModel('water_level', { deviceId: gauge.id, seed: ctx.seed, env: ctx.env });
    const now = normal.sample(ctx.startSimTime).level_cm;
    const model = new FloodingModel({
      seed: ctx.seed,
      gauge: gauge.id,
      rainGauge: rainGauge?.id ?? null,
      camera: camera?.id ?? null,
      baseCm: typeof now === 'number' ? now : undefined,
      speed: ctx.speed,
      ...(ctx.ruleTimeScale !== undefined ? { ruleTimeScale: ctx.ruleTimeScale } : {}),
    });
    const t = model.timeline;
    const factor = wallFactor(ctx);

    const notes: string[] = [];
    if (!camera) {
      const withCamera = ctx.devices.filter((d) => d.kind === 'water_level' && ctx.devices.some((c) => c.kind === 'camera' && c.grid === d.grid)).map((d) => d.id);
      const hint = withCamera.length > 0 ? `gauges in a cell with a camera: ${withCamera.slice(0, 5).join(', ')}` : 'no simulated water_level gauge shares a cell with a camera';
      notes.push(`cell ${grid} has no camera: no stalled_vehicle events, so the waterlogging-incident rule cannot fire (${hint})`);
    }
    if (!rainGauge) notes.push(`cell ${grid} has no rain gauge: the storm shows only in the water level`);
    const aboveThresholdWallS = ((model.peakCm - 30) / FLOODING.riseCmPerMin + FLOODING.holdMs / MINUTE + (model.peakCm - 30) / FLOODING.drainCmPerMin) * 60 / factor;
    if (aboveThresholdWallS < 45) notes.push(`at speed ${ctx.speed} the level stays above 30 cm for only ~${Math.round(aboveThresholdWallS)} s of wall time: the underpass-flooding rule (for: 30s) may not fire; use a speed of 30 or less`);

    const wall = (ms: number) => (ctx.speed === 1 ? `${MIN(ms)} min` : `${MIN(ms)} min of scenario time, ${(ms / MINUTE / ctx.speed).toFixed(1)} min wall`);
    const descriptions: Record<FloodingPhase, string> = {
      normal: `normal: ${gauge.id} at ~${model.baseCm.toFixed(1)} cm; heavy rain over ${grid} in ${wall(t.rain)}`,
      rain: `rain: heavy rain over ${grid}, ramping up to ~${Math.round(model.rainPeakMmH)} mm/h${rainGauge ? ` on ${rainGauge.id}` : ''}; the water starts to rise`,
      rising: `rising: ~${FLOODING.riseCmPerMin} cm/min (${FLOODING.riseCmPerMin * ctx.speed} cm per wall minute) towards ~${Math.round(model.peakCm)} cm; the forecast warning comes first, 30 cm is reached in ~${wall(((30 - model.level(t.rising)) / FLOODING.riseCmPerMin) * MINUTE)}`,
      peak: `peak: ~${Math.round(model.peakCm)} cm for ${wall(FLOODING.holdMs)}${camera ? `; ${camera.id} sees stalled vehicles` : ''}; the rain eases off`,
      draining: `draining: ~${FLOODING.drainCmPerMin} cm/min back to ~${model.baseCm.toFixed(1)} cm`,
      done: `done: ${gauge.id}${rainGauge ? `, ${rainGauge.id}` : ''}${camera ? `, ${camera.id}` : ''} back to the normal simulation`,
    };

    const summary = `${gauge.id}${gauge.name ? ` (${gauge.name})` : ''} in cell ${grid} floods; rain gauge ${rainGauge?.id ?? 'none'}, camera ${camera?.id ?? 'none'}; `
      + `the storyline takes ${MIN(t.done)} min of scenario time, ${(t.done / MINUTE / ctx.speed).toFixed(1)} min of wall time at speed ${ctx.speed}`;
    const run = makeRun({
      name: 'flooding',
      roles: [target(gauge, 'gauge'), ...(rainGauge ? [target(rainGauge, 'rain-gauge')] : []), ...(camera ? [target(camera, 'camera')] : [])],
      timeline: [
        { phase: 'normal', at: 0 },
        { phase: 'rain', at: t.rain },
        { phase: 'rising', at: t.rising },
        { phase: 'peak', at: t.peak },
        { phase: 'draining', at: t.draining },
        { phase: 'done', at: t.done },
      ],
      summary,
      notes,
      descriptions,
      cameraTypes: ['stalled_vehicle', 'waterlogging'] satisfies CameraEventType[],
      telemetry(deviceId, s) {
        if (deviceId === gauge.id) return model.gaugeReading(s);
        if (deviceId === rainGauge?.id && s >= t.rain) return model.rainReading(s);
        return null;
      },
      events(deviceId, from, to) {
        if (deviceId !== camera?.id) return [];
        return model.detectionsBetween(from, to).map((d) => d.event);
      },
    });
    return { ...run, camera: camera?.id ?? null, rainGauge: rainGauge?.id ?? null };
  },
};
