// What every rule kind implements: pure code, no I/O, time passed in (an injectable clock).
import type { AlertDetail, CameraEventType, DeviceKind, ReportCategory, RuleDef } from '@citygrid/contract';

export interface RuleDevice { id: string; kind: DeviceKind; grid: string; district: string }

export type Observation =
  | { type: 'reading'; device: RuleDevice; ts: number; metrics: Record<string, number | boolean> }
  | { type: 'event'; device: RuleDevice; ts: number; event: CameraEventType; confidence: number; count: number }
  | { type: 'status'; device: RuleDevice; ts: number; online: boolean }
  /** A refused message (or a summed-up report of `count` of them): only refusals rules see these. */
  | { type: 'refusal'; device: RuleDevice; ts: number; reason: string; count: number };

/** A resident's report (REPORTS on) that joined no open alert: only `reports` rules see these. */
export interface ReportObservation { type: 'report'; receipt: string; category: ReportCategory; grid: string; district: string; ts: number; spam?: true }

/** A `reports` rule's evaluator: it sees reports (observeReport), never device observations. */
export interface ReportsEvaluator extends RuleEvaluator {
  observeReport(o: ReportObservation, now: number): Condition[];
  /** A report marked as spam counts for nothing: it leaves the window if it is there. */
  forget(o: ReportObservation): void;
}

/** The condition of one rule for one key (a device, or a grid cell for grid-scoped rules). */
export interface Condition {
  /** Device id, or grid id for grid-scoped rules: one alert per rule and key. */
  key: string;
  devices: string[];
  grid: string;
  district: string;
  /** pending: true but not yet for long enough; active: raise/keep the alert; clear: the condition is gone. */
  status: 'pending' | 'active' | 'clear';
  /** The values behind it, e.g. { level_cm: 34.2 } or { level_cm: 21, eta_min: 12, crosses: 30 }. */
  values: Record<string, number | boolean | string>;
  /** Plain, specific words for the alert message: "level_cm 34.2 cm, above 30 cm for 30 s",
   *  "expected to reach 30 cm in about 12 min", "no data for 5 min". */
  detail: string;
  /** The same detail as a message key and parameters (pending and active conditions), rendered in
   *  either language from the contract's catalogue; `detail` is then its English rendering. */
  text?: AlertDetail;
  /** `reports` rules: the receipts of the reports behind it (they join the alert it raises). */
  reports?: string[];
}

export interface RuleEvaluator {
  readonly rule: RuleDef;
  /** One observation from a device the rule's `match` selects; returns conditions that changed status
   *  or, while active, changed values. */
  observe(o: Observation, now: number): Condition[];
  /** Called about once a second: hold times, absence, windows sliding, forecasts receding. */
  tick(now: number): Condition[];
  /** Its state as plain data (Maps, arrays, numbers; structured-clonable), for a snapshot. */
  save(): EvaluatorState;
  /** Takes a saved state back (of the same rule over the same devices). */
  restore(state: EvaluatorState): void;
}

/** What save() gives: the evaluator's Maps by name, and its scalars. */
export interface EvaluatorState { maps: Record<string, Map<string, unknown>>; scalars?: Record<string, unknown> }

/** Builds the evaluator of a rule for the devices its selector matches. */
export type EvaluatorFactory = (rule: RuleDef, devices: RuleDevice[]) => RuleEvaluator;
