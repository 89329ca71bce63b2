// The scenarios the simulator can play on top of the normal city, by name.
import { floodingScenario } from './flooding.js';
import { gasLeakScenario } from './gas-leak.js';
import { pollutionScenario } from './pollution.js';
import { rainstormScenario } from './rainstorm.js';
import { sensorFaultsScenario } from './sensor-faults.js';
import { trafficIncidentScenario } from './traffic-incident.js';
import type { ScenarioDefinition } from './types.js';

export const SCENARIOS = {
  flooding: floodingScenario,
  rainstorm: rainstormScenario,
  'gas-leak': gasLeakScenario,
  pollution: pollutionScenario,
  'traffic-incident': trafficIncidentScenario,
  'sensor-faults': sensorFaultsScenario,
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
export type { FloodingModelOptions, FloodingPhase, FloodingRun, FloodShape, FloodingTarget, FloodingTimeline, TimedDetection } from './flooding.js';
export { GAS_LEAK, gasLeakScenario, pickGasLeakTargets } from './gas-leak.js';
export { POLLUTION, pickPollutionTargets, pollutionScenario } from './pollution.js';
export { RAINSTORM, pickRainstormTargets, rainstormScenario } from './rainstorm.js';
export type { RainstormTargets } from './rainstorm.js';
export { SENSOR_FAULTS, pickFaultTargets, sensorFaultsScenario } from './sensor-faults.js';
export { TRAFFIC_INCIDENT, pickTrafficTargets, trafficIncidentScenario } from './traffic-incident.js';
export { wallFactor } from './common.js';
export type { PhaseStart, ScenarioContext, ScenarioDefinition, ScenarioRun, ScenarioTarget } from './types.js';
