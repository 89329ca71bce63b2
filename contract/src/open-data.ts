// Open data (GET /api/open/...): what the city measures, given back to the public without sign-in,
// as hourly aggregates per grid cell (CSV and NGSI-LD), the last hour's conditions and the city's
// shape for the public conditions page. Never a person's name, a note, a report text or the raw
// readings of one device (unless the city file marks that device `public: true`, and even then only
// its hourly aggregates). No zod here (the dashboard bundles it); the schemas are in api-schemas.ts.
import type { MultiPolygonGeometry, PolygonGeometry, Position } from './geo.js';

/** The licence every open answer is published under (the attribution names the city). */
export const OPEN_DATA_LICENCE = { name: 'CC BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' } as const;
export const openDataAttribution = (cityName: string): string => `${cityName} via CityGrid`;

/** The limits every client gets (all are hostile until proven otherwise). */
export const OPEN_DATA_LIMITS = {
  /** Requests per address per window. */
  requestsPerWindow: 60,
  windowMs: 60_000,
  /** Days back a date may go (the default retention is 30 days; older days have nothing stored). */
  maxDaysBack: 366,
  /** Aggregates of past complete days (and public devices' days) kept in memory, least recently used
   *  going first: at most this many, and at most cachedRows rows in all (~150 bytes each: ~60 MB). */
  cachedDays: 64,
  cachedRows: 400_000,
  /** Today's (still growing) aggregates and the conditions are recomputed at most this often (ms). */
  freshMs: 60_000,
} as const;

/** The CSV columns of GET /api/open/hourly.csv (one row per hour, grid cell and metric). */
export const OPEN_HOURLY_COLUMNS = ['hour_start_utc', 'cell', 'district', 'metric', 'unit', 'min', 'mean', 'max', 'count'] as const;
/** The CSV columns of GET /api/open/alerts-hourly.csv (one row per hour and grid cell where an alert fired). */
export const OPEN_ALERTS_COLUMNS = ['hour_start_utc', 'cell', 'district', 'red', 'orange', 'yellow', 'blue'] as const;
/** The CSV columns of GET /api/open/reports-hourly.csv (one row per hour, grid cell and category with a report; spam not counted). */
export const OPEN_REPORTS_COLUMNS = ['hour_start_utc', 'cell', 'district', 'category', 'reports'] as const;
/** The CSV columns of GET /api/open/devices/:id/hourly.csv (one row per hour and metric of the device). */
export const OPEN_DEVICE_COLUMNS = ['hour_start_utc', 'device', 'cell', 'district', 'metric', 'unit', 'min', 'mean', 'max', 'count'] as const;

/** GET /api/open/conditions: the public city conditions page's data (the last hour). */
export interface OpenConditions {
  generatedAt: number; // epoch ms
  window: { from: number; to: number }; // the last hour
  licence: { name: string; url: string; attribution: string };
  city: { name: string; name_en?: string };
  /** Every grid cell: its worst condition over the last hour from its devices' readings ('ok'|'warn'|'alarm', from contract's Condition), or null when no device reported. */
  cells: Array<{ id: string; district: string; condition: 'ok' | 'warn' | 'alarm' | null }>;
  /** Every district: open alerts by colour now (firing or acknowledged or dispatched..., i.e. not resolved). */
  districts: Array<{ id: string; name: string; name_en?: string; openAlerts: { red: number; orange: number; yellow: number; blue: number } }>;
}

export interface OpenFeature<P> { type: 'Feature'; properties: P; geometry: PolygonGeometry | MultiPolygonGeometry }
export interface OpenFeatureCollection<P> { type: 'FeatureCollection'; features: OpenFeature<P>[] }

/** GET /api/open/city: the city's shape for the public page; no devices, no people, no contacts. */
export interface OpenCity {
  name: string;
  name_en?: string;
  center?: Position;
  districts: OpenFeatureCollection<{ id: string; name: string; name_en?: string }>;
  cells: OpenFeatureCollection<{ id: string; name: string; name_en?: string; district: string }>;
}

/** GET /api/open: what is published, how, under which licence, and where. */
export interface OpenIndex {
  name: string;
  city: { name: string; name_en?: string };
  licence: { name: string; url: string; attribution: string };
  aggregation: {
    period: 'PT1H';
    spatialUnit: 'grid cell';
    timeZone: 'UTC';
    metrics: string;
    alerts: string;
    /** When the city takes residents' reports (REPORTS on). */
    reports?: string;
    days: string;
  };
  neverPublished: string[];
  limits: { requestsPerMinute: number; daysPerRequest: 1; maxDaysBack: number };
  /** Devices whose hourly aggregates are published one by one (the city file marks them public). */
  publicDevices: string[];
  links: Array<{ rel: string; href: string; type: string; title: string }>;
}
