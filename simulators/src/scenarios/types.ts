// What a scenario is: a storyline played on top of the normal city. It takes over a few target
// devices for a while (their telemetry, some of their camera events, or their silence) and leaves
// the rest alone. Everything is a function of scenario time `s` (ms since the scenario started,
// already scaled by the simulator's speed), so a scenario is deterministic for a seed and testable
// with a fake clock.
import type { CameraEventType, DeviceKind } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { CameraDetection } from '../camera.js';
import type { Environment } from '../environment.js';
import type { Metrics } from '../model.js';

export interface ScenarioContext {
  /** The devices being simulated: the scenario picks its targets among them. */
  devices: readonly CityDevice[];
  seed: number;
  env: Environment;
  /** The simulator's speed: scenario time = elapsed wall time × speed. */
  speed: number;
  /** Simulated city time (epoch ms) at scenario time 0. */
  startSimTime: number;
  /** The device the operator chose to centre the scenario on, if any. */
  device?: string;
  /**
   * How many times shorter the server's rule durations (hold times, windows, silences) are than the
   * demo city's rules.yaml says (default 1: the rules as written). The rules run in wall time, so a
   * scenario makes each condition last `speed / ruleTimeScale` × the rule's duration in scenario
   * time (see `wallFactor`). A test that divides every rule duration by the speed passes the speed
   * here, and the storyline plays at its natural length.
   */
  ruleTimeScale?: number;
  /** How often (scenario ms) the simulator has the targets report while the scenario runs (default 5 s). */
  reportEveryMs?: number;
}

/** One phase boundary: the phase that starts at scenario time `at` (ms). */
export interface PhaseStart {
  phase: string;
  at: number;
}

/** A device the scenario drives, and what it plays in the story (e.g. 'gauge', 'camera', 'silent'). */
export interface ScenarioTarget {
  id: string;
  kind: DeviceKind;
  grid: string;
  district: string;
  role: string;
}

export interface ScenarioRun {
  readonly name: string;
  /** The main target device and its grid cell (where the story is centred). */
  readonly device: string;
  readonly grid: string;
  /** Every device the scenario drives, with its role, main target first. */
  readonly roles: readonly ScenarioTarget[];
  /** Every device id the scenario drives. */
  readonly targets: ReadonlySet<string>;
  /** Phases in order, with the scenario time each one starts; the last one is the end state. */
  readonly timeline: readonly PhaseStart[];
  /** One line for the log: what happens where, and how long it takes. */
  readonly summary: string;
  /** Things the operator should know (a missing camera, a speed too high for a rule's hold time). */
  readonly notes: readonly string[];
  phase(s: number): string;
  /** True once the storyline is over: the targets are back to their normal models. */
  done(s: number): boolean;
  /** A one-line description of the phase, for the progress log. */
  describe(phase: string): string;
  /** What a target sensor reports at scenario time `s`, or null for its normal model's reading. */
  telemetry(deviceId: string, s: number): Metrics | null;
  /** What a target camera detects in the scenario span (from, to]. */
  events(deviceId: string, from: number, to: number): CameraDetection[];
  /** Camera event types the scenario takes over on its cameras: the normal model's are dropped while it runs. */
  readonly cameraTypes: readonly CameraEventType[];
  /** True while a target sends nothing at all (a fault: it stays connected but silent). */
  silent?(deviceId: string, s: number): boolean;
}

export interface ScenarioDefinition<Run extends ScenarioRun = ScenarioRun> {
  name: string;
  description: string;
  /** Picks the targets and starts the storyline; throws for a bad `ctx.device` or a city that cannot play it. */
  start(ctx: ScenarioContext): Run;
}
