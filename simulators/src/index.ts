// Public API of the simulators package: start a simulated city, or use the models directly.
export { startSimulator } from './simulator.js';
export type { ScenarioStats, Simulator, SimulatorOptions, SimulatorStats } from './simulator.js';
export {
  FLOODING, FLOODING_PHASES, FloodingModel, GAS_LEAK, isScenarioName, pickFloodingTarget, POLLUTION, RAINSTORM, resolveScenario, SCENARIO_NAMES, SCENARIOS,
  SENSOR_FAULTS, TRAFFIC_INCIDENT, wallFactor,
} from './scenarios/index.js';
export type {
  FloodingModelOptions, FloodingPhase, FloodingRun, FloodShape, FloodingTarget, FloodingTimeline, PhaseStart, ScenarioContext, ScenarioDefinition,
  ScenarioName, ScenarioRun, ScenarioTarget, TimedDetection,
} from './scenarios/index.js';
export { Environment, localHour, UTC_OFFSET_HOURS } from './environment.js';
export { CameraModel } from './camera.js';
export type { CameraDetection } from './camera.js';
export { MODELS, createModel } from './kinds/index.js';
export type { Metrics, ModelContext, ModelFactory, SignalModel } from './model.js';
export { ChildReporter, DeviceClient } from './device-client.js';
export type { DeviceClientOptions, Reporter } from './device-client.js';
