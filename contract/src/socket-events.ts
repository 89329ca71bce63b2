// Socket.IO events, typed for both ends (server emits only these).
import type { CameraEventType, Condition, DeviceKind } from './catalogue.js';
import type { Rejection } from './rejections.js';
import type { AlertSocketEvent } from './alerts.js';

export interface ReadingEvent {
  device: string;
  grid: string;
  district: string;
  kind: DeviceKind;
  ts: number;
  /** Latest value of each metric, merged over the coalescing window. */
  metrics: Record<string, number | boolean>;
  condition: Condition;
}

export interface DeviceStatusEvent {
  device: string;
  grid: string;
  district: string;
  online: boolean;
  ts: number;
}

/** A camera's detection, as it arrives (no images, no personal data). GET /api/camera-events lists past ones. */
export interface CameraSocketEvent {
  device: string;
  grid: string;
  district: string;
  ts: number;
  type: CameraEventType;
  confidence: number;
  count: number;
  zone?: string;
}

export interface StatsEvent {
  ts: number;
  /** Readings stored per second, over the last second. */
  ingestPerS: number;
  rejectedPerS: number;
  devicesOnline: number;
  devicesTotal: number;
  socketClients: number;
  /** Active (firing or acknowledged) alerts by colour. */
  activeAlerts: Record<string, number>;
}

export interface SubscribeRequest {
  grid?: string;
  district?: string;
  device?: string;
}

export interface ServerToClientEvents {
  reading: (event: ReadingEvent) => void;
  'device-status': (event: DeviceStatusEvent) => void;
  rejection: (event: Rejection) => void;
  stats: (event: StatsEvent) => void;
  /** Every alert transition, never coalesced. */
  alert: (event: AlertSocketEvent) => void;
  'camera-event': (event: CameraSocketEvent) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack?: (result: { ok: boolean; error?: string }) => void) => void;
}

/** Readings are coalesced to at most one event per device per this period. */
export const READING_COALESCE_MS = 1000;
