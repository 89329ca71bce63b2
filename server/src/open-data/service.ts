// What the open data computes, and how much: a UTC day's hourly aggregates per grid cell (from the
// store's hourlyAggregates, an hour at a time so no single read holds the event loop for a whole day)
// and the alerts fired per cell, hour and colour (from the alert service: this process's log, or the
// cluster's alert stream); the last hour's conditions per cell and the open alerts per district; the
// city's shape. Past complete days are cached (bounded LRU); today's and the conditions at most every
// freshMs. One computation runs at a time, and only a few may wait: beyond, the caller is told to come
// back (429), so no number of clients makes the server read more than one day at a time.
import {
  CATALOGUE, OPEN_DATA_LICENCE, OPEN_DATA_LIMITS, SENSOR_KINDS, SEVERITIES, conditionOfMetric, openDataAttribution,
  type Alert, type CityMeta, type Condition, type DeviceKind, type MetricSpec, type OpenCity, type OpenConditions, type ReportCategory, type SensorKind, type Severity,
} from '@citygrid/contract';
import type { City, CityDevice } from '@citygrid/contract/node';
import type { AlertService } from '../alerts/service.js';
import { Errors } from '../errors.js';
import type { TimeSeriesStore } from '../stores/store.js';
import { DAY_MS, HOUR_MS, type OpenDay } from './dates.js';
import { Lru } from './lru.js';

/** city.yaml's display names and centre, as the contract types them (the file may hold more keys). */
export function metaOf(city: City): Pick<CityMeta, 'name_en' | 'center'> {
  return city.meta as Pick<CityMeta, 'name_en' | 'center'>;
}

/** The kind and spec of every metric of the catalogue (no two kinds share a metric name). */
export const METRICS: ReadonlyMap<string, { kind: SensorKind; spec: MetricSpec }> = new Map(
  SENSOR_KINDS.flatMap((kind) => Object.entries(CATALOGUE[kind]).map(([metric, spec]) => [metric, { kind, spec }] as const)),
);

/** A metric's unit as published: booleans are aggregated as 0/1, so their mean is the share of the hour's readings that were true. */
export function unitOf(metric: string): string {
  const spec = METRICS.get(metric)?.spec;
  if (!spec) return '';
  return spec.type === 'number' ? spec.unit : '1 (true=1, false=0)';
}

export interface CellMetricRow {
  hour: number;
  cell: string;
  district: string;
  kind: SensorKind;
  metric: string;
  unit: string;
  min: number;
  mean: number;
  max: number;
  count: number;
}

/** Alerts that fired in one hour in one cell, of one colour and one category (from the kinds of their devices). */
export interface CellAlertRow { hour: number; cell: string; district: string; severity: Severity; category: AlertCategory; count: number }

/** Residents' reports filed in one hour in one cell, of one category (spam not counted). */
export interface CellReportRow { hour: number; cell: string; district: string; category: ReportCategory; count: number }

export interface DayData { day: OpenDay; generatedAt: number; metrics: CellMetricRow[]; alerts: CellAlertRow[]; reports: CellReportRow[] }

export interface DeviceDayData { day: OpenDay; generatedAt: number; device: CityDevice; metrics: CellMetricRow[] }

/** The FIWARE Alert model's categories, from the kinds of an alert's devices. */
export type AlertCategory = 'environment' | 'weather' | 'traffic' | 'security';
const CATEGORY: Record<DeviceKind, AlertCategory> = {
  air_quality: 'environment', noise: 'environment', gas: 'environment', waste_bin: 'environment',
  water_level: 'weather', rainfall: 'weather', weather: 'weather',
  traffic: 'traffic', manhole_cover: 'traffic', streetlight: 'traffic', bridge: 'traffic',
  camera: 'security',
};

/** Alerts read per page from the alert service, and the most one day may count. */
const ALERT_PAGE = 500;
const MAX_ALERTS_PER_DAY = 200_000;
/** Computations that may wait behind the running one. */
const MAX_WAITING = 4;
const BUSY_RETRY_S = 5;

export interface OpenDataOptions {
  city: City;
  store: TimeSeriesStore;
  alerts: AlertService;
  /** Residents' reports (REPORTS on): their counts per hour, cell and category. */
  reports?: { countsByHour(from: number, to: number): Promise<CellReportRow[]> } | null;
  now?: () => number;
  cachedDays?: number;
  /** The most rows (metric and alert rows of the days and devices cached) the cache holds in all. */
  cachedRows?: number;
  freshMs?: number;
}

export class OpenDataService {
  readonly city: City;
  private readonly now: () => number;
  private readonly cache: Lru<string, { at: number; value: Promise<unknown> }>;
  private readonly cachedRows: number;
  private readonly freshMs: number;
  private readonly cells: ReadonlyMap<string, string>;
  private running: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private shape: OpenCity | null = null;
  /** Computations actually run (not answered from the cache): tests check the cache with it. */
  computations = 0;

  constructor(private readonly o: OpenDataOptions) {
    this.city = o.city;
    this.now = o.now ?? Date.now;
    this.cachedRows = o.cachedRows ?? OPEN_DATA_LIMITS.cachedRows;
    this.cache = new Lru(o.cachedDays ?? OPEN_DATA_LIMITS.cachedDays, this.cachedRows);
    this.freshMs = o.freshMs ?? OPEN_DATA_LIMITS.freshMs;
    this.cells = new Map(o.city.devices.filter((d) => d.kind !== 'camera').map((d) => [d.id, d.grid]));
  }

  /** The devices the city file marks public, by id. */
  publicDevice(id: string): CityDevice | undefined {
    const d = this.city.devicesById.get(id);
    return d && d.public === true && d.kind !== 'camera' ? d : undefined;
  }

  publicDevices(): string[] {
    return this.city.devices.filter((d) => d.public === true && d.kind !== 'camera').map((d) => d.id);
  }

  licence(): { name: string; url: string; attribution: string } {
    return { ...OPEN_DATA_LICENCE, attribution: openDataAttribution(metaOf(this.city).name_en ?? this.city.name) };
  }

  day(day: OpenDay): Promise<DayData> {
    return this.cached(`day:${day.date}`, day.complete, () => this.computeDay(day));
  }

  deviceDay(device: CityDevice, day: OpenDay): Promise<DeviceDayData> {
    return this.cached(`device:${device.id}:${day.date}`, day.complete, async () => {
      const metrics = await this.hourly(day.from, day.to, { id: device.id, kind: device.kind });
      return { day, generatedAt: this.now(), device, metrics };
    });
  }

  conditions(): Promise<OpenConditions> {
    return this.cached('conditions', false, () => this.computeConditions());
  }

  /** The city's shape for the public page: names and outlines of districts and cells, nothing else. */
  cityShape(): OpenCity {
    if (this.shape) return this.shape;
    const { name_en, center } = metaOf(this.city);
    const shape: OpenCity = {
      name: this.city.name, ...(name_en ? { name_en } : {}), ...(center ? { center } : {}),
      districts: {
        type: 'FeatureCollection',
        features: this.city.districts.flatMap((d) => (d.feature ? [{
          type: 'Feature' as const, properties: { id: d.id, name: d.name, ...(d.name_en ? { name_en: d.name_en } : {}) }, geometry: d.feature.geometry,
        }] : [])),
      },
      cells: {
        type: 'FeatureCollection',
        features: this.city.cells.map((c) => ({
          type: 'Feature' as const, properties: { id: c.id, name: c.name, ...(c.name_en ? { name_en: c.name_en } : {}), district: c.district }, geometry: c.feature.geometry,
        })),
      },
    };
    this.shape = shape;
    return shape;
  }

  /** From the cache when it may be (a complete day for good, anything else for freshMs), else computed in turn. */
  private cached<T>(key: string, forGood: boolean, compute: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && (forGood || now - hit.at < this.freshMs)) return hit.value as Promise<T>;
    if (this.waiting >= MAX_WAITING) {
      throw Errors.OPEN_RATE_LIMITED(`The server is busy computing open data for other requests; try again in ${BUSY_RETRY_S} s`).withHeader('Retry-After', String(BUSY_RETRY_S));
    }
    this.waiting++;
    const value = this.running.catch(() => undefined).then(async () => {
      try {
        this.computations++;
        return await compute();
      } finally {
        this.waiting--;
      }
    });
    this.running = value;
    // the same request while it is computed waits for the same answer; once computed it is kept by
    // the rows it holds (counted against cachedRows); a failure is not kept
    const entry = { at: now, value };
    this.cache.set(key, entry);
    value.then((v) => {
      if (this.cache.get(key) === entry) this.cache.set(key, entry, rowsOf(v));
    }, () => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    return value;
  }

  /** The store's hourly aggregates over [from, to), an hour at a time, as published rows. */
  private async hourly(from: number, to: number, device?: { id: string; kind: DeviceKind }): Promise<CellMetricRow[]> {
    const rows: CellMetricRow[] = [];
    for (let h = from; h < to; h += HOUR_MS) {
      const part = await this.o.store.hourlyAggregates({ from: h, to: Math.min(to, h + HOUR_MS), cells: this.cells, ...(device ? { device } : {}) });
      for (const a of part) {
        const cell = this.city.cellsById.get(a.grid);
        const m = METRICS.get(a.metric);
        if (!cell || !m) continue; // a cell no longer in the city file (InfluxDB keeps its tag), or a metric no longer in the catalogue
        rows.push({ hour: a.hour, cell: cell.id, district: cell.district, kind: m.kind, metric: a.metric, unit: unitOf(a.metric), min: a.min, mean: a.mean, max: a.max, count: a.count });
      }
      await new Promise((r) => setImmediate(r)); // let requests in between the hours
    }
    // the hours of a window that does not start on one come in two parts: merge them
    const merged = new Map<string, CellMetricRow>();
    for (const r of rows) {
      const key = `${r.hour}\0${r.cell}\0${r.metric}`;
      const m = merged.get(key);
      if (!m) merged.set(key, r);
      else {
        const count = m.count + r.count;
        m.mean = (m.mean * m.count + r.mean * r.count) / count;
        m.count = count;
        m.min = Math.min(m.min, r.min);
        m.max = Math.max(m.max, r.max);
      }
    }
    return [...merged.values()].sort((a, b) => a.hour - b.hour || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0) || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  }

  private async computeDay(day: OpenDay): Promise<DayData> {
    const metrics = await this.hourly(day.from, day.to);
    const alerts = this.alertsFired(day.from, day.to);
    const reports = this.o.reports ? (await this.o.reports.countsByHour(day.from, day.to)).filter((r) => this.city.cellsById.has(r.cell)) : [];
    return { day, generatedAt: this.now(), metrics, alerts, reports };
  }

  /** Alerts that became firing within [from, to), counted per hour, cell, colour and category. */
  private alertsFired(from: number, to: number): CellAlertRow[] {
    const counts = new Map<string, CellAlertRow>();
    let after: { startedAt: number; id: string } | undefined;
    let read = 0;
    // an alert fires after it starts (pending for its rule's hold time): look a day further back for its start
    for (;;) {
      const page = this.o.alerts.search({ from: from - DAY_MS, to, scope: null, offset: 0, limit: ALERT_PAGE, count: false, ...(after ? { after } : {}) });
      for (const { alert } of page.items) {
        const fired = firedAt(alert);
        if (fired === null || fired < from || fired >= to) continue;
        const cell = this.city.cellsById.get(alert.grid);
        if (!cell) continue;
        const hour = Math.floor(fired / HOUR_MS) * HOUR_MS;
        const category = categoryOf(alert, this.city);
        const key = `${hour}\0${cell.id}\0${alert.severity}\0${category}`;
        const row = counts.get(key);
        if (row) row.count++;
        else counts.set(key, { hour, cell: cell.id, district: cell.district, severity: alert.severity, category, count: 1 });
      }
      read += page.items.length;
      const last = page.items.at(-1)?.alert;
      if (page.items.length < ALERT_PAGE || !last || read >= MAX_ALERTS_PER_DAY) break;
      after = { startedAt: last.startedAt, id: last.id };
    }
    return [...counts.values()].sort((a, b) => a.hour - b.hour || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0));
  }

  private async computeConditions(): Promise<OpenConditions> {
    const to = this.now();
    const from = to - HOUR_MS;
    const worst = new Map<string, Condition>();
    const parts = await this.o.store.hourlyAggregates({ from, to, cells: this.cells });
    for (const a of parts) {
      const spec = METRICS.get(a.metric)?.spec;
      if (!spec || !this.city.cellsById.has(a.grid)) continue;
      const c = worstOf(spec, a.min, a.max);
      const before = worst.get(a.grid);
      if (!before || RANK[c] > RANK[before]) worst.set(a.grid, c);
    }
    const open = new Map<string, Record<Severity, number>>();
    for (const a of this.o.alerts.list({ active: true, limit: Number.MAX_SAFE_INTEGER })) {
      if (a.state === 'pending' || a.state === 'resolved') continue;
      const counts = open.get(a.district) ?? Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      counts[a.severity]++;
      open.set(a.district, counts);
    }
    const { name_en } = metaOf(this.city);
    return {
      generatedAt: to,
      window: { from, to },
      licence: this.licence(),
      city: { name: this.city.name, ...(name_en ? { name_en } : {}) },
      cells: this.city.cells.map((c) => ({ id: c.id, district: c.district, condition: worst.get(c.id) ?? null })),
      districts: this.city.districts.map((d) => {
        const o = open.get(d.id);
        return { id: d.id, name: d.name, ...(d.name_en ? { name_en: d.name_en } : {}), openAlerts: { red: o?.red ?? 0, orange: o?.orange ?? 0, yellow: o?.yellow ?? 0, blue: o?.blue ?? 0 } };
      }),
    };
  }
}

const RANK: Record<Condition, number> = { ok: 0, warn: 1, alarm: 2 };

/** What a cached answer weighs: its rows (a day's metrics and alerts, the cells of the conditions). */
function rowsOf(v: unknown): number {
  const x = v as { metrics?: unknown[]; alerts?: unknown[]; reports?: unknown[]; cells?: unknown[] };
  return (x.metrics?.length ?? 0) + (x.alerts?.length ?? 0) + (x.reports?.length ?? 0) + (x.cells?.length ?? 0) + 1;
}

/** The worst condition any reading of the hour had, from its lowest and highest value. */
export function worstOf(spec: MetricSpec, min: number, max: number): Condition {
  if (spec.type === 'boolean') {
    if (spec.alarmWhen === undefined) return 'ok';
    return conditionOfMetric(spec, spec.alarmWhen ? max >= 0.5 : min < 0.5 ? false : true);
  }
  const a = conditionOfMetric(spec, min);
  const b = conditionOfMetric(spec, max);
  return RANK[a] >= RANK[b] ? a : b;
}

/** When an alert last became firing; null if it never did (only pending). Older records without firedAt: their start. */
function firedAt(a: Alert): number | null {
  if (a.firedAt !== undefined && a.firedAt !== null) return a.firedAt;
  return a.state === 'pending' ? null : a.startedAt;
}

function categoryOf(a: Alert, city: City): AlertCategory {
  for (const id of a.devices) {
    const d = city.devicesById.get(id);
    if (d) return CATEGORY[d.kind];
  }
  return 'security';
}
