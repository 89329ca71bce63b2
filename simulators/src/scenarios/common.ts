// Helpers the scenarios share: picking devices, timing storylines against the rules' wall-time
// holds, deterministic noise, and assembling a ScenarioRun from a timeline.
import type { CameraEventType } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { CameraDetection } from '../camera.js';
import { MINUTE, type Metrics } from '../model.js';
import { rngFor } from '../random.js';
import type { PhaseStart, ScenarioContext, ScenarioRun, ScenarioTarget } from './types.js';

export const byId = (a: CityDevice, b: CityDevice) => a.id.localeCompare(b.id);

/** Great-circle distance in km between two [lng, lat] points (haversine). */
export function distanceKm(a: readonly [number, number] | number[], b: readonly [number, number] | number[]): number {
  const rad = Math.PI / 180;
  const [lng1, lat1] = [a[0]! * rad, a[1]! * rad];
  const [lng2, lat2] = [b[0]! * rad, b[1]! * rad];
  const h = Math.sin((lat2 - lat1) / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin((lng2 - lng1) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The devices of `kind` nearest to `from` (excluding it), nearest first, ties by id. */
export function nearest(devices: readonly CityDevice[], from: CityDevice, kind: CityDevice['kind'], maxKm = Infinity): CityDevice[] {
  return devices
    .filter((d) => d.kind === kind && d.id !== from.id)
    .map((d) => ({ d, km: distanceKm(from.location, d.location) }))
    .filter((x) => x.km <= maxKm)
    .sort((x, y) => x.km - y.km || x.d.id.localeCompare(y.d.id))
    .map((x) => x.d);
}

/**
 * The device the operator chose (`ctx.device`), checked: it must be simulated and of one of `kinds`.
 * Undefined when none was chosen.
 */
export function chosenDevice(scenario: string, ctx: ScenarioContext, kinds: readonly CityDevice['kind'][], what: string): CityDevice | undefined {
  if (ctx.device === undefined) return undefined;
  const chosen = ctx.devices.find((d) => d.id === ctx.device);
  if (!chosen) throw new Error(`${scenario} scenario: device ${ctx.device} is not one of the simulated devices`);
  if (!kinds.includes(chosen.kind)) throw new Error(`${scenario} scenario: device ${ctx.device} is of kind ${chosen.kind}, not ${what}`);
  return chosen;
}

export const target = (d: CityDevice, role: string): ScenarioTarget => ({ id: d.id, kind: d.kind, grid: d.grid, district: d.district, role });

/**
 * Scenario ms per ms of rule time: the server's rules hold in wall time, and scenario time runs
 * `speed` times faster, unless the rules were shortened by `ruleTimeScale` as well.
 */
export function wallFactor(ctx: Pick<ScenarioContext, 'speed' | 'ruleTimeScale'>): number {
  return ctx.speed / (ctx.ruleTimeScale ?? 1);
}

/** How long (scenario ms) a condition lasts: its natural length, or long enough for a rule's hold time with a margin. */
export function lasting(ctx: Pick<ScenarioContext, 'speed' | 'ruleTimeScale'>, naturalMs: number, ruleHoldMs: number, margin = 1.5): number {
  return Math.max(naturalMs, wallFactor(ctx) * ruleHoldMs * margin);
}

/** "12 min" at speed 1, else "12 min of scenario time, 0.6 min wall". */
export function span(ms: number, speed: number): string {
  const min = Math.round(ms / MINUTE);
  return speed === 1 ? `${min} min` : `${min} min of scenario time, ${(ms / MINUTE / speed).toFixed(1)} min wall`;
}

/** Triangular noise within ±amp, fixed for the device, key and instant (so a reading is a pure function of `s`). */
export function jitter(seed: number, id: string, key: string, s: number, amp: number): number {
  const r = rngFor(seed, id, key, Math.round(s));
  return (r.next() + r.next() - 1) * amp;
}

/** 0 → 1 smoothly over [a, b]. */
export function smoothstep(a: number, b: number, x: number): number {
  if (x <= a) return 0;
  if (x >= b) return 1;
  const t = (x - a) / (b - a);
  return t * t * (3 - 2 * t);
}

export function phaseAt(timeline: readonly PhaseStart[], s: number): string {
  let phase = timeline[0]!.phase;
  for (const p of timeline) if (s >= p.at) phase = p.phase;
  return phase;
}

export interface RunParts {
  name: string;
  roles: ScenarioTarget[];
  timeline: PhaseStart[];
  summary: string;
  notes: string[];
  descriptions: Record<string, string>;
  cameraTypes?: CameraEventType[];
  /** The targets' readings while the storyline runs (not called once it is done). */
  telemetry(deviceId: string, s: number): Metrics | null;
  events?(deviceId: string, from: number, to: number): CameraDetection[];
  silent?(deviceId: string, s: number): boolean;
}

/** A ScenarioRun from its parts: the last phase of the timeline is the end state. */
export function makeRun(parts: RunParts): ScenarioRun {
  const { timeline, roles } = parts;
  const end = timeline[timeline.length - 1]!.at;
  const ids = new Set(roles.map((r) => r.id));
  return {
    name: parts.name,
    device: roles[0]!.id,
    grid: roles[0]!.grid,
    roles,
    targets: ids,
    timeline,
    summary: parts.summary,
    notes: parts.notes,
    cameraTypes: parts.cameraTypes ?? [],
    phase: (s) => phaseAt(timeline, s),
    done: (s) => s >= end,
    describe: (phase) => parts.descriptions[phase] ?? phase,
    telemetry: (deviceId, s) => (s >= end || !ids.has(deviceId) ? null : parts.telemetry(deviceId, s)),
    events: (deviceId, from, to) => (!ids.has(deviceId) || !parts.events || from >= end ? [] : parts.events(deviceId, from, Math.min(to, end))),
    silent: (deviceId, s) => s < end && ids.has(deviceId) && (parts.silent?.(deviceId, s) ?? false),
  };
}
