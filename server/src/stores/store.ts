// The time-series store interface: SQLite (embedded) and InfluxDB implement it and share one contract test suite.
import type { AlertEvent, BucketPoint, CameraEvent, ComponentStatus, DeviceKind, RawPoint, Reading, ReportCategory } from '@citygrid/contract';

/** A reading with the tags the stores index by. */
export interface StoredReading extends Reading {
  kind: DeviceKind;
  grid: string;
  district: string;
}

export interface StoredCameraEvent extends CameraEvent {
  grid: string;
  district: string;
}

/** A resident's report filed, or closed with the alert it joined (never its text). */
export interface StoredReportEvent { receipt: string; grid: string; district: string; category: ReportCategory; event: 'filed' | 'closed'; ts: number; alertId?: string }

export interface ReadingsQuery {
  device: string;
  /** The device's kind (InfluxDB keeps one measurement per kind). */
  kind: DeviceKind;
  metrics: string[];
  from: number;
  to: number;
  /** Bucket width in ms; null for raw points. */
  step: number | null;
  /** Most raw points per metric. */
  limit: number;
}

/** Raw readings of one device for an export (GET /api/devices/:id/readings.csv): every point, no limit. */
export interface ReadingsExportQuery {
  device: string;
  kind: DeviceKind;
  metrics: string[];
  from: number;
  to: number;
}

/** A run of one metric's raw points, in time order. */
export interface ReadingsChunk { metric: string; points: RawPoint[] }

export interface SeriesResult {
  metric: string;
  points: RawPoint[] | BucketPoint[];
}

export interface LatestValue { device: string; metric: string; ts: number; value: number }

export interface EventsQuery {
  grid?: string;
  district?: string;
  from: number;
  to: number;
  limit: number;
}

/** Open data: readings aggregated per UTC hour, grid cell and metric (GET /api/open/...). */
export interface HourlyAggregatesQuery {
  from: number;
  to: number;
  /** Device id -> its grid cell, for the city's devices: SQLite's readings keep no cell, so it reads the
   *  cell from here (and only these devices); InfluxDB groups by the `grid` tag written with each reading. */
  cells: ReadonlyMap<string, string>;
  /** Only this device (its kind tells InfluxDB which measurement). */
  device?: { id: string; kind: DeviceKind };
}

/** One hour of one metric in one cell: over every reading of the cell's devices in that hour (booleans as 0/1). */
export interface HourlyAggregate {
  /** Start of the UTC hour, epoch ms. */
  hour: number;
  grid: string;
  metric: string;
  min: number;
  mean: number;
  max: number;
  count: number;
}

export interface StoreHealth { status: ComponentStatus; detail?: string; buffered: number }

export interface TimeSeriesStore {
  readonly kind: 'sqlite' | 'influx';
  /** Queue readings for writing; never blocks ingest on the database. */
  writeReadings(readings: StoredReading[]): void;
  writeEvents(events: StoredCameraEvent[]): void;
  /** Mirrors alert transitions for history queries beside the readings (InfluxDB); the record of
   *  truth stays in DATA_DIR/alerts.db whichever store is used. */
  writeAlertEvents?(events: AlertEvent[]): void;
  /** Mirrors residents' reports filed and closed (InfluxDB), without their texts; the record of truth
   *  is the report store (DATA_DIR/reports.db, or Redis). */
  writeReports?(events: StoredReportEvent[]): void;
  /** Resolves when everything queued so far is durable. */
  flush(): Promise<void>;
  queryReadings(query: ReadingsQuery): Promise<SeriesResult[]>;
  /**
   * Every raw reading of the query, metric by metric in the order asked, each in time order, in chunks
   * of a few thousand points read only as the consumer asks for the next: an export waiting on a slow
   * client holds one chunk, however long the range. Leaving the loop early (break, return) ends the read.
   */
  streamReadings(query: ReadingsExportQuery): AsyncIterable<ReadingsChunk>;
  /** Readings per UTC hour, grid cell and metric within [from, to), for the open data (no order promised). */
  hourlyAggregates(query: HourlyAggregatesQuery): Promise<HourlyAggregate[]>;
  /** The newest value of every metric of every device (booleans as 0/1). */
  latest(): Promise<LatestValue[]>;
  queryEvents(query: EventsQuery): Promise<StoredCameraEvent[]>;
  /** Deletes data older than the cutoff (epoch ms); returns rows removed. */
  prune(olderThan: number): Promise<number>;
  health(): StoreHealth;
  /**
   * Whether the store can take no more for now (the InfluxDB spool at its cap). Ingest then stops
   * taking messages from the broker, which keeps them for the server's session, instead of losing them.
   */
  full?(): boolean;
  /** Resolves once a full store has room again. */
  whenRoom?(): Promise<void>;
  /**
   * Resolves once everything queued so far would survive the process being killed (SQLite:
   * committed; InfluxDB: in the spool file, which writeReadings appends to at once). Ingest sends
   * the broker its acknowledgements only then.
   */
  durable?(): Promise<void>;
  /** Resolves when everything queued so far is in the database itself, beyond any local spool (cluster mode acknowledges the bus then). */
  written?(): Promise<void>;
  /**
   * Keeps a message's identity (pipeline/recent-messages.ts) with what it wrote, committed with or
   * after its readings, so that a copy of it arriving after a restart is still recognised. Only for
   * messages the store alone cannot make idempotent: readings stamped on receipt (no ts) with a seq.
   */
  rememberMessage?(key: string, at: number): void;
  /** The identities kept since `since` (epoch ms), to seed the dedupe memory at start. */
  recentMessages?(since: number): Promise<{ key: string; at: number }[]>;
  close(): Promise<void>;
}

/** Called after each successful write with the number of rows made durable. */
export type WrittenListener = (readings: number, events: number) => void;
