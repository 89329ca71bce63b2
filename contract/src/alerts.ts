// Alerts: China's four warning colours, the lifecycle, and the append-only events that record it.
import type { AlertText } from './alert-text.js';
export const SEVERITIES = ['red', 'orange', 'yellow', 'blue'] as const; // I, II, III, IV
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_RANK: Record<Severity, number> = { red: 4, orange: 3, yellow: 2, blue: 1 };
/** The warning level of each colour (I is the gravest), as China's emergency plans number them. */
export const SEVERITY_LEVEL: Record<Severity, 'I' | 'II' | 'III' | 'IV'> = { red: 'I', orange: 'II', yellow: 'III', blue: 'IV' };
/** Each colour's name, in the two languages CityGrid speaks: the dashboard and the webhook messages use these. */
export const SEVERITY_NAME: Record<'zh-CN' | 'en', Record<Severity, string>> = {
  'zh-CN': { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' },
  en: { red: 'Red', orange: 'Orange', yellow: 'Yellow', blue: 'Blue' },
};

/** A place's name in a language: its English name in English when it has one, else its own name. */
export function localName(place: { name: string; name_en?: string | undefined }, locale: string): string {
  return locale === 'en' && place.name_en ? place.name_en : place.name;
}

/** `handled`: the assignee says it is dealt with, and the colour needs a supervisor's verification
 *  (核查) before it closes (orange and red by default): verified, it is resolved; sent back, it is
 *  acknowledged again. */
export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'handled', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Who must act: 0 the cell's grid workers, 1 the district supervisor, 2 the control room. */
export type EscalationLevel = 0 | 1 | 2;

export interface Alert {
  id: string;
  rule: string;
  ruleKind: string;
  severity: Severity;
  /** One alert per rule and key: the device, or the grid cell for grid-scoped rules. */
  key: string;
  devices: string[];
  grid: string;
  district: string;
  /** The rule's title and the detail in English ("Flooding at the underpass: level_cm 36.0 cm, above
   *  30 cm"): the rendered default, for clients that do not read `text`. */
  message: string;
  /** What to do, in English (the rendered default). */
  guidance: string;
  /** The same words as a message key and parameters, with the title and guidance in both languages:
   *  render them with alertMessage / alertGuidance (alert-text.ts). Absent on alerts recorded before it
   *  existed, which render as `message` and `guidance`. */
  text?: AlertText;
  /** The values that made the condition true (metric -> value), and e.g. a forecast. */
  values: Record<string, number | boolean | string>;
  state: AlertState;
  startedAt: number;
  /** When it last became firing (null while only pending). */
  firedAt?: number | null;
  updatedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** When and by whom it was handled (the assignee's "done"), awaiting verification or closed at once. */
  handledAt?: number | null;
  handledBy?: string | null;
  /** Handle deadline (epoch ms): the colour's resolve deadline from when it fired, restarted by a
   *  dispatch. Absent on alerts recorded before resolve deadlines existed. */
  resolveDeadline?: number | null;
  /** Who dispatched it by hand to its current assignee, and when (null: routed by the cell). */
  dispatchedBy?: string | null;
  dispatchedAt?: number | null;
  escalation: EscalationLevel;
  /** Usernames who must act at the current escalation level (grid workers, then supervisor, then control room). */
  assignees: string[];
  /** Acknowledge deadline (epoch ms) of the current escalation step. */
  ackDeadline: number;
  /** True while the device or cell is under maintenance: shown, not notified. */
  suppressed: boolean;
  /** Composite alerts list their parts; parts name the composite they are grouped under. */
  parts?: string[];
  partOf?: string | null;
  /** The alert this one re-raises (the condition was still true after a manual resolve). */
  reraises?: string | null;
  flapping?: boolean;
  /** Receipts of the residents' reports that joined it (REPORTS on): raised by a `reports` rule, or
   *  filed in its cell while it was open. Their texts are in the reports, never in the alert. */
  reports?: string[];
}

export const ALERT_EVENT_TYPES = [
  'pending', 'firing', 'updated', 'acknowledged', 'resolved', 'escalated', 'suppressed', 'unsuppressed', 'grouped', 'reopened',
  // the closed loop: dispatched by hand, handled by the assignee, verified (closed) or sent back by a supervisor
  'dispatched', 'handled', 'verified', 'sent_back',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

/** One transition, appended and never changed; alerts are rebuilt from these after a restart. */
export interface AlertEvent {
  alertId: string;
  seq: number;
  ts: number;
  type: AlertEventType;
  /** 'system' or the username who acted. */
  actor: string;
  note: string | null;
  /** The alert as it was after this event. */
  alert: Alert;
}

export const DEFAULT_ACK_DEADLINES: Record<Severity, string> = { red: '5m', orange: '15m', yellow: '30m', blue: '120m' };
/** How long each colour may take to be handled, from when it fires (people.yaml `resolve_deadlines`). */
export const DEFAULT_RESOLVE_DEADLINES: Record<Severity, string> = { red: '2h', orange: '8h', yellow: '24h', blue: '72h' };
/** The colours whose handling a supervisor verifies before they close (people.yaml `verify`). */
export const DEFAULT_VERIFY: readonly Severity[] = ['red', 'orange'];

export interface MaintenanceWindow {
  id: string;
  /** A device id, a grid cell id or a rule id (every alert of that rule, anywhere). */
  target: { device: string } | { grid: string } | { rule: string };
  by: string;
  reason: string;
  /** When it starts (a window may be made ahead of time) and ends, epoch ms. */
  from: number;
  until: number;
}

/** What a Socket.IO client receives on every transition (never coalesced). */
export interface AlertSocketEvent {
  event: AlertEventType;
  actor: string;
  note: string | null;
  alert: Alert;
}
