// Shapes of the REST API's responses, shared by the server and the dashboard.
import type { Severity } from './alerts.js';
import type { ErrorCode } from './errors.js';
import type { Condition, DeviceKind } from './catalogue.js';
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
}
export interface ScoresResponse { from: number; to: number; by: 'grid' | 'district'; scores: Score[] }
