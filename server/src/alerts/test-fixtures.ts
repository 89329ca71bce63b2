// Test helpers for the alert suites: a small city on disk, a fake evaluator factory driven by the test, and a manager harness.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { ruleSchema, type AlertEvent, type RuleDef } from '@citygrid/contract';
import { loadCity, type City } from '@citygrid/contract/node';
import type { Condition, EvaluatorFactory, Observation, RuleDevice, RuleEvaluator } from '../rules/types.js';
import { AlertLog } from './alert-log.js';
import { AlertActionError, AlertManager, type AlertManagerOptions } from './alert-manager.js';
import { Routing } from './routing.js';

export const SECRET_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
export const PASSWORD_HASH = '$2b$10$OqSvAH4XyPvnAEJLjfelKO2Jidj4gdFQIjIoxX06ulFkjqVFuG9Ne';
export const T0 = Date.UTC(2026, 4, 1, 8, 0);
export const SEC = 1000;
export const MIN = 60_000;

function square(lng: number, lat: number, size = 0.01): number[][] {
  return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]];
}
function cell(id: string, district: string, lng: number) {
  return { type: 'Feature', properties: { id, name: `Cell ${id}`, district }, geometry: { type: 'Polygon', coordinates: [square(lng, 30)] } };
}

/** Cells c-a, c-b (district east) and c-c (district west). */
export const GRID = {
  type: 'FeatureCollection',
  features: [cell('c-a', 'east', 114.0), cell('c-b', 'east', 114.01), cell('c-c', 'west', 114.02)],
};

export const DEVICES = [
  { id: 'wl-a', kind: 'water_level', location: [114.005, 30.005], secret_hash: SECRET_HASH },
  { id: 'wl-b', kind: 'water_level', location: [114.015, 30.005], secret_hash: SECRET_HASH },
  { id: 'cam-a', kind: 'camera', location: [114.002, 30.002], secret_hash: SECRET_HASH },
  { id: 'cam-b', kind: 'camera', location: [114.012, 30.002], secret_hash: SECRET_HASH },
  { id: 'gas-c', kind: 'gas', location: [114.025, 30.005], secret_hash: SECRET_HASH },
];

const user = (username: string, role: string, extra: Record<string, unknown> = {}) =>
  ({ username, name: `User ${username}`, role, password_hash: PASSWORD_HASH, ...extra });

export const USERS = [
  user('gw-c-a', 'gridworker', { grids: ['c-a'] }),
  user('gw-c-b', 'gridworker', { grids: ['c-b'] }),
  user('gw-c-c', 'gridworker', { grids: ['c-c'] }),
  user('sup-east', 'gridworker', { districts: ['east'] }),
  user('sup-west', 'gridworker', { districts: ['west'] }),
  user('operator', 'operator'),
  user('admin', 'admin'),
  user('viewer', 'viewer'),
];

const dirs: string[] = [];
const logs: AlertLog[] = [];

/** A fresh temp dir (removed by cleanupDirs). */
export function tempDir(prefix = 'citygrid-alerts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Closes every AlertLog opened by harness() and removes the temp dirs. */
export function cleanupDirs(): void {
  for (const log of logs.splice(0)) {
    try {
      log.close();
    } catch {
      // already closed
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (objects: YAML for .yaml, JSON otherwise; strings verbatim) into a fresh temp dir. */
export function writeDir(files: Record<string, unknown>): string {
  const dir = tempDir('citygrid-city-');
  for (const [name, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : name.endsWith('.yaml') ? stringify(content) : JSON.stringify(content);
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function cityFiles(deadlines?: Record<string, string>): Record<string, unknown> {
  return {
    'city.yaml': { name: 'Test City' },
    'grid.geojson': GRID,
    'devices.yaml': DEVICES,
    'people.yaml': deadlines ? { deadlines, users: USERS } : { users: USERS },
  };
}

export function makeCity(deadlines?: Record<string, string>): City {
  return loadCity(writeDir(cityFiles(deadlines)));
}

/** Parses a rule through the contract schema (durations become ms). */
export function rule(def: Record<string, unknown>): RuleDef {
  return ruleSchema.parse(def);
}

export const floodRule = (severity = 'red', extra: Record<string, unknown> = {}): RuleDef =>
  rule({ id: 'flood', kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm', above: 30, severity, message: 'Flooding', guidance: 'Close the underpass.', ...extra });

/** A fake evaluator factory: the test queues the conditions each rule's evaluator returns next. */
export class FakeEvaluators {
  private readonly queues = new Map<string, Condition[]>();
  readonly created: { rule: RuleDef; devices: RuleDevice[] }[] = [];
  readonly observed: { rule: string; o: Observation; now: number }[] = [];

  readonly factory: EvaluatorFactory = (rule, devices) => {
    this.created.push({ rule, devices });
    const take = (): Condition[] => {
      const q = this.queues.get(rule.id) ?? [];
      this.queues.set(rule.id, []);
      return q;
    };
    const evaluator: RuleEvaluator = {
      rule,
      observe: (o, now) => {
        this.observed.push({ rule: rule.id, o, now });
        return take();
      },
      tick: () => take(),
      save: () => ({ maps: {} }),
      restore: () => undefined,
    };
    return evaluator;
  };

  /** The next observe or tick of this rule's evaluator returns these conditions. */
  queue(ruleId: string, ...conditions: Condition[]): void {
    this.queues.set(ruleId, [...(this.queues.get(ruleId) ?? []), ...conditions]);
  }
}

/** A device-keyed condition for a device of the test city. */
export function cond(city: City, device: string, status: Condition['status'], values: Condition['values'] = { level_cm: 35 }, detail = `level_cm ${String(values.level_cm ?? '')} cm`): Condition {
  const d = city.devicesById.get(device);
  if (!d) throw new Error(`no device ${device} in the test city`);
  return { key: d.id, devices: [d.id], grid: d.grid, district: d.district, status, values, detail };
}

export function observation(city: City, device: string, ts: number, metrics: Record<string, number | boolean> = { level_cm: 35 }): Observation {
  const d = city.devicesById.get(device);
  if (!d) throw new Error(`no device ${device} in the test city`);
  return { type: 'reading', device: { id: d.id, kind: d.kind, grid: d.grid, district: d.district }, ts, metrics };
}

export function cameraEvent(city: City, device: string, ts: number, event: 'stalled_vehicle' | 'waterlogging' | 'illegal_parking' = 'stalled_vehicle'): Observation {
  const d = city.devicesById.get(device);
  if (!d) throw new Error(`no device ${device} in the test city`);
  return { type: 'event', device: { id: d.id, kind: d.kind, grid: d.grid, district: d.district }, ts, event, confidence: 0.9, count: 1 };
}

export interface Harness {
  city: City;
  fake: FakeEvaluators;
  log: AlertLog;
  logPath: string;
  manager: AlertManager;
  events: AlertEvent[];
  /** Queues conditions for a rule and delivers them through observe() of a reading from the condition's first device. */
  deliver(ruleId: string, c: Condition, now: number): void;
  /** Event types of one alert as emitted through onEvent, in order. */
  typesOf(alertId: string): string[];
  /** A second manager over the same log file (after closing the first log): a restart. */
  restart(now: number, rules?: RuleDef[]): Harness;
}

export interface HarnessOptions {
  city?: City;
  rules?: RuleDef[];
  now?: number;
  logPath?: string;
  manager?: Partial<Pick<AlertManagerOptions, 'flapWindowMs' | 'flapSettleMs' | 'reraiseAfterMs'>>;
}

export function harness(opts: HarnessOptions = {}): Harness {
  const city = opts.city ?? makeCity();
  const fake = new FakeEvaluators();
  const logPath = opts.logPath ?? join(tempDir(), 'data', 'alerts.db');
  const log = new AlertLog(logPath);
  logs.push(log);
  const events: AlertEvent[] = [];
  const now = opts.now ?? T0;
  const manager = new AlertManager({
    city, routing: new Routing(city), log, factory: fake.factory, logger: pino({ level: 'silent' }),
    onEvent: (e) => events.push(e), ...opts.manager,
  }, now);
  const rules = opts.rules ?? [floodRule()];
  manager.setRules(rules, now);
  const h: Harness = {
    city, fake, log, logPath, manager, events,
    deliver(ruleId, c, at) {
      fake.queue(ruleId, c);
      manager.observe([observation(city, c.devices[0] ?? c.key, at)], at);
    },
    typesOf: (alertId) => events.filter((e) => e.alertId === alertId).map((e) => e.type),
    restart(at, again) {
      log.close();
      return harness({ city, rules: again ?? rules, now: at, logPath, manager: opts.manager });
    },
  };
  return h;
}

/** The AlertActionError code an action throws (undefined when it does not throw). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlertActionError) return err.code;
    throw err;
  }
  return undefined;
}
