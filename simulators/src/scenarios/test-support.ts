// Shared by the scenario specs (not part of the package's API): the demo city's devices, a scenario
// started on an anchored clock, its readings over the storyline, and what the demo rules would make
// of them (a threshold's hold time, an absence, a frozen value), all in scenario time.
import { fileURLToPath } from 'node:url';
import { parseCameraEvent, parseTelemetry } from '@citygrid/contract';
import { loadCity, type CityDevice } from '@citygrid/contract/node';
import { Environment } from '../environment.js';
import { SCENARIOS, type ScenarioName } from './index.js';
import type { ScenarioContext, ScenarioRun } from './types.js';

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** 10:00 local time in the demo city on a fixed day: the normal models around the scenario never depend on the wall clock. */
export const ANCHOR = Date.UTC(2026, 6, 1, 2);

let demo: CityDevice[] | null = null;
export function demoDevices(): CityDevice[] {
  demo ??= loadCity(fileURLToPath(new URL('../../../config/demo-city', import.meta.url))).devices;
  return demo;
}

export function device(id: string, kind: CityDevice['kind'], grid: string, location: [number, number], extra: Partial<CityDevice> = {}): CityDevice {
  return { id, kind, grid, district: 'test', location, secret_hash: 'x', ...extra };
}

export function start(name: ScenarioName, o: Partial<ScenarioContext> = {}): ScenarioRun {
  const seed = o.seed ?? 7;
  return SCENARIOS[name].start({ devices: demoDevices(), seed, env: new Environment(seed), speed: 1, startSimTime: ANCHOR, ...o });
}

export interface Point { s: number; v: number }

/** A metric of a target every `step` of scenario time from 0 until the storyline is done (nulls skipped). */
export function series(run: ScenarioRun, id: string, metric: string, step = 5 * SECOND): Point[] {
  const out: Point[] = [];
  for (let s = 0; !run.done(s); s += step) {
    const m = run.telemetry(id, s);
    if (m && typeof m[metric] === 'number') out.push({ s, v: m[metric] });
  }
  return out;
}

/**
 * When a threshold rule (`above`/`below` a level, held for `holdMs`) would first fire on these
 * readings, in scenario time (the rule's hold in scenario time: speed 1); undefined if never.
 */
export function thresholdFires(points: Point[], level: number, holdMs: number, below = false): number | undefined {
  let since: number | null = null;
  for (const p of points) {
    const past = below ? p.v < level : p.v > level;
    if (!past) since = null;
    else {
      since ??= p.s;
      if (p.s - since >= holdMs) return p.s;
    }
  }
  return undefined;
}

export const phaseStart = (run: ScenarioRun, phase: string) => run.timeline.find((p) => p.phase === phase)!.at;

/** Every target's telemetry and events every `step`, as text: for determinism checks. */
export function trace(run: ScenarioRun, step = 30 * SECOND): string[] {
  const out: string[] = [];
  for (let s = 0; !run.done(s); s += step) {
    for (const t of run.roles) {
      out.push(`${s} ${t.id} ${JSON.stringify(run.telemetry(t.id, s))} ${JSON.stringify(run.events(t.id, s, s + step))} ${run.silent?.(t.id, s) ?? false}`);
    }
  }
  return out;
}

/** Parses every reading and event the run makes as the server would; returns how many of each. */
export function checkPayloads(run: ScenarioRun, step = 10 * SECOND): { telemetry: number; events: number } {
  let seq = 0;
  let telemetry = 0;
  let events = 0;
  for (let s = 0; !run.done(s); s += step) {
    const ts = ANCHOR + s;
    for (const t of run.roles) {
      if (t.kind === 'camera') {
        for (const e of run.events(t.id, s, s + step)) {
          parseCameraEvent(JSON.stringify({ ts, ...e, seq: seq++ }), t.id, 'camera', ts);
          events++;
        }
        continue;
      }
      const metrics = run.telemetry(t.id, s);
      if (!metrics) continue;
      const [reading] = parseTelemetry(JSON.stringify({ ts, metrics, seq: seq++ }), t.id, t.kind, ts);
      if (JSON.stringify(reading!.metrics) !== JSON.stringify(metrics)) throw new Error(`${t.id}: ${JSON.stringify(metrics)} changed on parsing`);
      telemetry++;
    }
  }
  return { telemetry, events };
}

/** The phases are in order, each starts where the timeline says, and the log has a line for each. */
export function checkTimeline(run: ScenarioRun): string[] {
  const problems: string[] = [];
  let last = -1;
  for (const { phase, at } of run.timeline) {
    if (!(at > last)) problems.push(`${phase} at ${at} is not after ${last}`);
    last = at;
    if (run.phase(at) !== phase) problems.push(`phase(${at}) is ${run.phase(at)}, not ${phase}`);
    if (at > 0 && run.phase(at - 1) === phase) problems.push(`${phase} already at ${at - 1}`);
    if (run.describe(phase) === phase || !run.describe(phase).startsWith(phase)) problems.push(`no description for ${phase}`);
  }
  const end = run.timeline[run.timeline.length - 1]!;
  if (end.phase !== 'done' || !run.done(end.at) || run.done(end.at - 1)) problems.push('the last phase is not done');
  for (const t of run.roles) if (run.telemetry(t.id, end.at) !== null || run.silent?.(t.id, end.at)) problems.push(`${t.id} still driven when done`);
  return problems;
}

/** A least-squares line through the points (x in minutes before the last): slope, fitted value at the last point, slope's standard error. */
export function fitLine(points: Point[]): { slope: number; now: number; stderr: number } {
  const last = points[points.length - 1]!;
  const xs = points.map((p) => (p.s - last.s) / MINUTE);
  const n = points.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = points.reduce((a, p) => a + p.v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  points.forEach((p, i) => {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (p.v - my);
  });
  const slope = sxy / sxx;
  const now = my - slope * mx;
  const ssr = points.reduce((a, p, i) => a + (p.v - (now + slope * xs[i]!)) ** 2, 0);
  return { slope, now, stderr: Math.sqrt(ssr / (n - 2) / sxx) };
}

/** When the demo's forecast rule (crosses `level` within 15 min, 10 min window) would first fire on rising readings. */
export function forecastFires(points: Point[], level: number, withinMs = 15 * MINUTE, windowMs = 10 * MINUTE): number | undefined {
  for (const p of points) {
    if (p.v >= level) return undefined;
    const inWindow = points.filter((q) => q.s > p.s - windowMs && q.s <= p.s);
    if (inWindow.length < 5 || p.s - inWindow[0]!.s < windowMs / 3) continue;
    const f = fitLine(inWindow);
    if (f.slope > 0 && f.slope >= 2 * f.stderr && (level - f.now) / f.slope <= withinMs / MINUTE) return p.s;
  }
  return undefined;
}

/** When the demo's rate rule (a rise of `rise` within `perMs`) would first fire. */
export function rateFires(points: Point[], rise: number, perMs: number): number | undefined {
  for (const p of points) {
    const before = points.filter((q) => q.s >= p.s - perMs && q.s < p.s)[0];
    if (before && p.v - before.v >= rise) return p.s;
  }
  return undefined;
}
