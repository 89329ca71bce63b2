// The message that flows through the pipeline steps, and what the steps may use.
import type { CameraEvent, CameraSocketEvent, DeviceStatus, ReadingEvent, DeviceStatusEvent, Reading } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../live/device-registry.js';
import type { Metrics } from '../metrics.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { Observation } from '../rules/types.js';

export type Accepted =
  | { channel: 'telemetry'; device: CityDevice; readings: Reading[] }
  | { channel: 'event'; device: CityDevice; event: CameraEvent }
  | { channel: 'status'; device: CityDevice; online: boolean; status: DeviceStatus };

export interface PipelineMessage {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  /** Set by validate. */
  accepted?: Accepted;
  /** Set by store when the device went online or offline with this message. */
  onlineChanged?: boolean;
}

/** The only way domain code reaches dashboards: typed events, never io.emit. */
export interface LiveFeed {
  reading(event: ReadingEvent): void;
  deviceStatus(event: DeviceStatusEvent): void;
  cameraEvent(event: CameraSocketEvent): void;
}

/** Where the evaluate step sends observations (the alert manager). */
export interface AlertSink {
  observe(observations: Observation[], now: number): void;
}

export interface PipelineDeps {
  alerts: AlertSink;
  registry: DeviceRegistry;
  store: TimeSeriesStore;
  feed: LiveFeed;
  metrics: Metrics;
  logger: Logger;
}

export type Step = (msg: PipelineMessage, deps: PipelineDeps) => void;
