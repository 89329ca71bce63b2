// Shapes the dashboard reads that are not (yet) in @citygrid/contract's api.ts.
import type {
  Alert, AlertEventType, AuditEntry, CameraSocketEvent, GridCellPeople, GridCellStatus, MultiPolygonGeometry, PolygonGeometry, Position,
  RuleLevels, RuleMatch, Score, ScoresResponse, Severity,
} from '@citygrid/contract';

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
export type GridCell = Feature<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;
export type GridResponse = FeatureCollection<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface DistrictProperties { id: string; name: string; name_en?: string }
export type District = Feature<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;
export type DistrictsResponse = FeatureCollection<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface CityResponse { name: string; name_en?: string; center?: Position }

// Alerts, audit, scores and camera events (shapes of the server's answers).

export interface AlertsResponse { alerts: Alert[] }
export interface AlertHistoryEntry { seq: number; ts: number; type: AlertEventType; actor: string; note: string | null }
export interface AlertDetailResponse { alert: Alert; history: AlertHistoryEntry[] }
export interface AuditResponse { entries: AuditEntry[] }

/** One row of GET /api/scores (the contract's Score). */
export type ScoreRow = Score;
export type { ScoresResponse };


/** A camera's detection: type, confidence, count. Never an image. */
export type CameraEventView = CameraSocketEvent;
export interface CameraEventsResponse { events: CameraEventView[] }

export interface RuleStatusView {
  id: string; kind: string; severity: Severity; devices: number; active: number; lastEvaluation: number | null;
  /** The rule's selector, metric and levels (only those it has), for threshold lines on charts. */
  match?: RuleMatch; metric?: string; levels?: RuleLevels;
}
export interface RulesResponse { status: string; detail?: string; rules: RuleStatusView[] }
