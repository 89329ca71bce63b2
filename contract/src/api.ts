// Shapes of the REST API's responses, shared by the server and the dashboard.
import type { Alert, AlertEventType, MaintenanceWindow, Severity } from './alerts.js';
import type { AuditEntry } from './auth.js';
import type { Role } from './city.js';
import type { RuleMatch } from './rules.js';
import type { CameraSocketEvent } from './socket-events.js';
import type { MultiPolygonGeometry, PolygonGeometry } from './geo.js';
import type { ErrorCode } from './errors.js';
import { worstCondition, type Condition, type DeviceKind } from './catalogue.js';
import type { Position } from './geo.js';
import type { Rejection, RejectionReason } from './rejections.js';

/** Every error answer of the API: a code from the registry (errors.ts) and a plain message. */
export interface ApiError { error: { code: ErrorCode; message: string } }

export type ComponentStatus = 'ok' | 'degraded' | 'down' | 'not_configured';
/**
 * GET /api/health, open to anyone: states and plain reasons only. No URL (MQTT_URL may carry
 * credentials), host, port or raw error text of a store or driver: those go to the log.
 */
export interface HealthResponse {
  status: 'ok' | 'degraded' | 'down';
  uptimeS: number;
  /** mode cluster: devices talk to edges, and this replica reads the NATS JetStream bus (connected: to NATS). */
  broker: { status: ComponentStatus; mode: 'embedded' | 'external' | 'cluster'; connected: boolean };
  /** Cluster mode: this replica and the partitions of the bus it owns now (each is owned by one replica). */
  cluster?: { replica: string; partitions: number[] };
  /** detail: a plain reason; a signed-in admin gets the store's own words (credentials in URLs removed). */
  store: { status: ComponentStatus; kind: 'sqlite' | 'influx'; detail?: string };
  /** detail: a plain reason; a signed-in user gets the refused rule's problem, as GET /api/rules gives it. */
  rules: { status: ComponentStatus; detail?: string };
  /** people.yaml: degraded when a hand edit was refused (the last good people stay); a signed-in admin gets its problems (file, entry, field). */
  people?: { status: ComponentStatus; detail?: string };
  /** devices.yaml: degraded when a hand edit was refused (the last good devices stay active); absent in cluster mode. */
  devices?: { status: ComponentStatus; detail?: string };
  ingest: { received: number; stored: number; rejected: number };
}

export interface DeviceView {
  id: string;
  kind: DeviceKind;
  name?: string;
  grid: string;
  district: string;
  location: Position;
  online: boolean;
  /** Epoch ms of the last accepted message, or null when never heard from. */
  lastSeen: number | null;
  /** Latest value of every metric and when it was measured. */
  latest: Record<string, { value: number | boolean; ts: number }>;
  condition: Condition;
}
export interface DevicesResponse { devices: DeviceView[] }

export interface GridCellStatus {
  devices: number;
  online: number;
  /** Worst condition of the cell's online devices; 'offline' when it has devices but none online; 'none' without devices. */
  condition: Condition | 'offline' | 'none';
}

/** A cell's status with its devices' counts by condition (the map's tooltip shows them). */
export interface CellRollUp extends GridCellStatus { alarm: number; warn: number }

/**
 * Each cell's status from its devices: the worst condition among its online devices; 'offline' when
 * it has devices and none is online; 'none' without devices. The one rule for GET /api/grid (server)
 * and the live map (dashboard).
 */
export function rollUpCells(cellIds: Iterable<string>, devices: Iterable<{ grid: string; online: boolean; condition: Condition }>): Map<string, CellRollUp> {
  const out = new Map<string, CellRollUp>();
  const conditions = new Map<string, Condition[]>();
  for (const id of cellIds) {
    out.set(id, { devices: 0, online: 0, condition: 'none', alarm: 0, warn: 0 });
    conditions.set(id, []);
  }
  for (const d of devices) {
    const cell = out.get(d.grid);
    if (!cell) continue;
    cell.devices++;
    if (!d.online) continue;
    cell.online++;
    if (d.condition === 'alarm') cell.alarm++;
    else if (d.condition === 'warn') cell.warn++;
    conditions.get(d.grid)!.push(d.condition);
  }
  for (const [id, cell] of out) {
    if (cell.devices > 0) cell.condition = cell.online === 0 ? 'offline' : worstCondition(conditions.get(id)!);
  }
  return out;
}

/** Who answers for a grid cell (GET /api/grid feature properties `people`): never a password hash. */
export interface PersonRef { username: string; name: string }
export interface GridCellPeople {
  /** Users whose grids include the cell. */
  workers: PersonRef[];
  /** Users whose districts include the cell's district. */
  supervisors: PersonRef[];
}

/** Alert levels of a rule as GET /api/rules lists them (only those the rule has). */
export interface RuleLevels { above?: number; below?: number; clear_below?: number; clear_above?: number; crosses?: number }

export interface RawPoint { ts: number; value: number }
export interface BucketPoint { ts: number; mean: number; min: number; max: number; count: number }
export interface ReadingSeries { metric: string; unit?: string; points: RawPoint[] | BucketPoint[] }
export interface ReadingsResponse {
  device: string;
  from: number;
  to: number;
  /** Bucket width in ms, or null for raw points. */
  step: number | null;
  series: ReadingSeries[];
}

/** One metric of a grid cell, over all its devices that measure it: each bucket's mean weighted by the
 *  devices' reading counts, the lowest min and the highest max (GET /api/cells/:id/readings). */
export interface CellReadingSeries { metric: string; kind: DeviceKind; unit: string; devices: string[]; points: BucketPoint[] }
export interface CellReadingsResponse {
  grid: string;
  from: number;
  to: number;
  /** Bucket width in ms. */
  step: number;
  series: CellReadingSeries[];
}

export interface RejectionsResponse {
  total: number;
  byReason: Partial<Record<RejectionReason, number>>;
  items: Rejection[];
}

/** 考核 per grid cell or district over a period (GET /api/scores). */
export interface Score {
  /** Grid cell id or district id. */
  id: string;
  alerts: number;
  bySeverity: Record<Severity, number>;
  acknowledged: number;
  resolved: number;
  /** Seconds; null when nothing was acknowledged/resolved. */
  ackMedianS: number | null;
  ackP90S: number | null;
  resolveMedianS: number | null;
  resolveP90S: number | null;
  /** Share of alerts (that needed acknowledging) acknowledged within the deadline, 0..1; null without any. */
  ackedInTime: number | null;
  escalated: number;
  /** Alerts handled within their resolve deadline, and those handled after it or still open past it. */
  inResolveDeadline: number;
  pastResolveDeadline: number;
  /** inResolveDeadline's share of the two, 0..1; null when neither. */
  resolvedInTime: number | null;
  /** Residents' reports closed in the period (spam not counted); only when REPORTS is on. */
  reportsClosed?: number;
  /** Their median time from filed to closed, ms; null when none. Only when REPORTS is on. */
  reportCloseMedianMs?: number | null;
}
export interface ScoresResponse { from: number; to: number; by: 'grid' | 'district'; scores: Score[] }

// ---- GET /api/city, /api/grid, /api/districts ----

export interface Feature<P, G> { type: 'Feature'; properties: P; geometry: G }
export interface FeatureCollection<P, G> { type: 'FeatureCollection'; features: Feature<P, G>[] }

export interface GridCellProperties {
  id: string;
  name: string;
  name_en?: string;
  district: string;
  status: GridCellStatus;
  /** Who answers for the cell: its grid workers and its district's supervisors. */
  people?: GridCellPeople;
}
/** One grid cell as GET /api/grid gives it (the city loader's GridCell is the server's own view). */
export type GridCellView = Feature<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;
export type GridResponse = FeatureCollection<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface DistrictProperties { id: string; name: string; name_en?: string }
export type DistrictView = Feature<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;
export type DistrictsResponse = FeatureCollection<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface CityResponse { name: string; name_en?: string; center?: Position }

// ---- alerts, maintenance, rules, audit, scores, camera events ----

export interface AlertsResponse { alerts: Alert[] }
export interface AlertHistoryEntry {
  seq: number; ts: number; type: AlertEventType; actor: string; note: string | null;
  /** Dispatched and escalated: who must act from then on. */
  to?: string[];
}
/** The history holds at most 500 events: the first 100 and the latest 400 (a long episode updates
 *  every 30 s); `omitted` says how many between them were left out. */
export interface AlertDetailResponse { alert: Alert; history: AlertHistoryEntry[]; omitted?: number }
/** POST /api/alerts/:id/ack, /resolve (the assignee's "done": handled, awaiting verification, for the
 *  colours a supervisor verifies), /verify, /send-back and /dispatch. */
export interface AlertActionResponse { alert: Alert }
/** POST /api/alerts/:id/dispatch: to a person of people.yaml (GET /api/people), with a note. */
export interface AlertDispatchRequest { to: string; note?: string }
/** Someone alerts can be dispatched to: never more than this (no contacts, no password hashes). */
export interface DispatchTarget { username: string; name: string; role: Role; grids: string[]; districts: string[]; department: string | null }
/** GET /api/people: the people alerts can be dispatched to. */
export interface PeopleResponse { people: DispatchTarget[] }
export interface MaintenanceListResponse { windows: MaintenanceWindow[] }
export interface MaintenanceCreatedResponse { window: MaintenanceWindow }
/** POST /api/maintenance: exactly one of device, grid or rule; one of for (from the start) or until. */
export interface MaintenanceRequest {
  device?: string; grid?: string; rule?: string;
  /** Epoch ms or ISO 8601; now when left out. */
  from?: number | string;
  for?: string;
  until?: number | string;
  reason: string;
}
/** The longest a maintenance window may last, and how far ahead one may start. */
export const MAINTENANCE_MAX_MS = 30 * 86_400_000; // 30 days
export interface AuditResponse { entries: AuditEntry[] }

// ---- the alert history (GET /api/alerts/history; its CSV and the readings exports: history.ts) ----
/** A note written on one of an alert's events. */
export interface HistoryNote { ts: number; actor: string; note: string }
/** A past alert as it is now, with how many notes people wrote on its events and the last of them. */
export interface HistoryItem { alert: Alert; notes: number; lastNote: HistoryNote | null }
/** A page of the alerts started in [from, to) that match the filters, newest start first, and how many match in all. */
export interface HistoryResponse { from: number; to: number; total: number; offset: number; limit: number; items: HistoryItem[] }
export interface CameraEventsResponse { events: CameraSocketEvent[] }

/** One row of GET /api/rules: the rule's state, and its selector, metric and levels (so charts can draw them). */
export interface RuleStatusView {
  id: string; kind: string; severity: Severity; devices: number; active: number; lastEvaluation: number | null;
  match?: RuleMatch; metric?: string; levels: RuleLevels;
}
/** GET /api/rules and POST /api/rules/reload: the rules file's state and every rule's. */
export interface RulesResponse { status: ComponentStatus; detail?: string; rules: RuleStatusView[] }
