// A device's page for engineers (issue 18, item 4): its MQTT connections as the embedded broker saw
// them, its last messages with their outcome, and a test reading sent through the real broker.
import type { CameraEventType } from './catalogue.js';
import type { RejectionReason } from './rejections.js';

/** How an MQTT connection came: plain TCP, TLS, or WebSockets on the HTTP port. */
export type MqttTransport = 'tcp' | 'tls' | 'ws';

/**
 * Why a device's connection ended: it sent DISCONNECT; its socket closed, or failed, without one;
 * it stayed silent past 1.5 × its keepalive; a new connection with the same client id took over;
 * the broker closed it (a persistent session evicted beyond the device's cap, the broker stopping).
 */
export const DISCONNECT_REASONS = ['client_disconnect', 'socket_closed', 'socket_error', 'keepalive_timeout', 'taken_over', 'kicked'] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

export interface ConnectionBase {
  ts: number;
  device: string;
  /** The client's address (behind a trusted proxy, the forwarded one); '' when unknown. */
  address: string;
  transport: MqttTransport;
  clientId: string;
}

export interface ConnectEvent extends ConnectionBase {
  type: 'connect';
  clean: boolean;
  /** The server's own "send test reading" connection, with a one-time credential. */
  test?: true;
}

export interface DisconnectEvent extends ConnectionBase {
  type: 'disconnect';
  reason: DisconnectReason;
  /** For socket_error: the error; for taken_over and kicked: by what. */
  detail?: string;
  /** The last will the broker published for it (only when it ended without DISCONNECT). */
  will?: { topic: string; payload: string };
  test?: true;
}

export interface RefusedLoginEvent extends ConnectionBase {
  type: 'refused';
  /** What the broker answered (wrong password, client id not its own, backed off, ...). */
  message: string;
  /** Refusals in a row with the same message and address, summed up in one event. */
  count?: number;
}

/** One event of a device's connection history, as the embedded broker emits it. */
export type DeviceConnectionEvent = ConnectEvent | DisconnectEvent | RefusedLoginEvent;

/** A device's connection now, as the broker sees it (test connections aside). */
export interface DeviceConnectionState {
  online: boolean;
  /** Since when online (the newest open connection) or offline (its last disconnect); null: not seen since the server started. */
  since: number | null;
  address: string | null;
  transport: MqttTransport | null;
  clientId: string | null;
  /** Connections of the device open now (a device may hold several client ids). */
  connections: number;
}

/** One of a device's last messages: a reading that was stored, or a message that was refused. */
export type DeviceMessage =
  /** A camera's accepted message is an event: its type, and its confidence and count as `metrics`. */
  | { ts: number; outcome: 'accepted'; metrics: Record<string, number | boolean>; event?: CameraEventType }
  | { ts: number; outcome: 'refused'; reason: RejectionReason; message: string; by: 'broker' | 'server'; topic: string | null; seq?: number; count?: number; preAuth?: boolean };

/** GET /api/devices/:id/activity */
export interface DeviceActivityResponse {
  device: string;
  /** False when this server does not host the broker (MQTT_URL, cluster mode): no connection history is kept. */
  connectionsKept: boolean;
  state: DeviceConnectionState;
  /** Newest first, at most DEVICE_CONNECTIONS_KEPT. */
  connections: DeviceConnectionEvent[];
  /** Newest first, at most DEVICE_MESSAGES_SHOWN: stored readings and refusals merged. */
  messages: DeviceMessage[];
  /** Whether POST /api/devices/:id/test-reading works here (embedded broker, a sensor). */
  testReading: boolean;
}

/** POST /api/devices/:id/test-reading */
export interface TestReadingResponse {
  device: string;
  outcome: 'accepted' | 'refused';
  /** The reading sent (its ts and metrics). */
  sent: { ts: number; metrics: Record<string, number | boolean> };
  reason?: RejectionReason;
  message?: string;
  tookMs: number;
}

export const DEVICE_CONNECTIONS_KEPT = 20;
export const DEVICE_MESSAGES_SHOWN = 50;
