// The message that flows through the pipeline steps, and what the steps may use.
import type { CameraEvent, CameraSocketEvent, DeviceStatus, ReadingEvent, DeviceStatusEvent, Reading } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../live/device-registry.js';
import type { Metrics } from '../metrics.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { RecentMessages } from './recent-messages.js';
import type { Observation } from '../rules/types.js';

export type Accepted =
  | { channel: 'telemetry'; device: CityDevice; readings: Reading[] }
  | { channel: 'event'; device: CityDevice; event: CameraEvent }
  | { channel: 'status'; device: CityDevice; online: boolean; status: DeviceStatus };

export interface PipelineMessage {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  /** The MQTT DUP flag: the sender says this may be a copy of a message it sent before. */
  dup: boolean;
  /** Set by validate. */
  accepted?: Accepted;
  /** Set by validate: every reading (or the event) carries its own ts or seq, so a copy of it can be told (recent-messages.ts). */
  identifiable?: boolean;
  /** Set by validate: some reading had no ts and was stamped on receipt. */
  stamped?: boolean;
  /** Set by dedupe: the message's identity (RecentMessages.key). */
  key?: string;
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
  /** What was taken in the last minutes, to recognise copies (dedupe). */
  recent: RecentMessages;
}

/** A step throws RejectionError to refuse a message, or returns false when it has dealt with it (a copy): the steps after it do not run. */
export type Step = (msg: PipelineMessage, deps: PipelineDeps) => void | false;
