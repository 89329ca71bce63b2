// A scenario played as a faithful time-lapse (tests/integration/scenarios.test.ts, tests/e2e/replay.test.ts):
// a copy of the demo city holding only the scenario's target devices, with the demo rules' every duration
// (hold times, windows, silences, baselines) divided by the speed K, and the scenario's targets as the
// whole demo city would pick them. Simulated city time is anchored at 10:00 local on a fixed day.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseDuration } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { Environment, SCENARIOS, type ScenarioName, type ScenarioRun } from '@citygrid/simulators';
import { DEMO_CITY, tempDir } from './system.js';

export const SCENARIO_SEED = 7;
export const SCENARIO_ANCHOR = Date.UTC(2026, 6, 1, 2); // 10:00 in the demo city (UTC+8)
const DURATION_KEYS = ['for', 'after', 'per', 'within', 'window', 'baseline'];

/** The demo rules with every duration divided by `k` (in ms, at least 1 ms). */
export function compressedRules(k: number): string {
  const rules = parseYaml(readFileSync(join(DEMO_CITY, 'rules.yaml'), 'utf8')) as Record<string, unknown>[];
  for (const rule of rules) {
    for (const key of DURATION_KEYS) {
      const v = rule[key];
      if (typeof v === 'string') rule[key] = `${Math.max(1, Math.round(parseDuration(v)! / k))}ms`;
    }
  }
  return stringifyYaml(rules);
}

/** A copy of the demo city with only `ids` as devices and the rules `k` times faster. */
export function testCity(ids: ReadonlySet<string>, k: number): { path: string; remove(): void } {
  const dir = tempDir('citygrid-scenario-');
  for (const f of ['city.yaml', 'districts.geojson', 'grid.geojson', 'people.yaml']) copyFileSync(join(DEMO_CITY, f), join(dir.path, f));
  const devices = (parseYaml(readFileSync(join(DEMO_CITY, 'devices.yaml'), 'utf8')) as { id: string }[]).filter((d) => ids.has(d.id));
  if (devices.length !== ids.size) throw new Error(`the demo city lacks some of the scenario's devices: ${[...ids].join(', ')}`);
  writeFileSync(join(dir.path, 'devices.yaml'), stringifyYaml(devices));
  writeFileSync(join(dir.path, 'rules.yaml'), compressedRules(k));
  return dir;
}

/** The scenario's run as the whole demo city would pick it (targets, roles, timeline) at speed `k`. */
export function probeScenario(name: ScenarioName, k: number): ScenarioRun {
  const demo = loadCity(DEMO_CITY);
  return SCENARIOS[name].start({ devices: demo.devices, seed: SCENARIO_SEED, env: new Environment(SCENARIO_SEED), speed: k, ruleTimeScale: k, startSimTime: SCENARIO_ANCHOR });
}
