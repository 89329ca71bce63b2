// The scenarios the simulator can play on top of the normal city, by name.
import { floodingScenario } from './flooding.js';
import type { ScenarioDefinition } from './types.js';

export const SCENARIOS = {
  flooding: floodingScenario,
} as const satisfies Record<string, ScenarioDefinition>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

/** The scenario called `name`; none for undefined, null or ''; throws with the known names otherwise. */
export function resolveScenario(name: string | null | undefined): ScenarioDefinition | null {
  if (name === undefined || name === null || name === '') return null;
  if (!isScenarioName(name)) throw new Error(`Unknown scenario "${name}"; known scenarios: ${SCENARIO_NAMES.join(', ')}`);
  return SCENARIOS[name];
}

export { FLOODING, FLOODING_PHASES, FloodingModel, floodingScenario, pickFloodingTarget } from './flooding.js';
export type { FloodingModelOptions, FloodingPhase, FloodingTarget, FloodingTimeline, TimedDetection } from './flooding.js';
export type { PhaseStart, ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';
