// The message that flows through the pipeline steps, and what the steps may use.
import type { BusMessage, CameraSocketEvent, ReadingEvent, DeviceStatusEvent } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../live/device-registry.js';
import type { Metrics } from '../metrics.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { Observation } from '../rules/types.js';
import type { RecentMessages } from './recent-messages.js';

export interface PipelineMessage {
  /** What the edge accepted: checked against the contract, readings stamped (contract/src/bus.ts). */
  bus: BusMessage;
  device: CityDevice;
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

/** A step returns false when it has dealt with the message (a copy): the steps after it do not run. */
export type Step = (msg: PipelineMessage, deps: PipelineDeps) => void | false;
