// The open data (issue 17): GET /api/open and what it links to, without sign-in. Hourly aggregates per
// grid cell as CSV and as NGSI-LD (FIWARE Smart Data Models), the last hour's conditions and the city's
// shape for the public conditions page, and the hourly aggregates of devices the city file marks
// public. Never a raw reading, a person's name, a note or a report text. Every client may be hostile:
// one UTC day per request, dates checked, past days cached, one computation at a time, a per-address
// rate limit (429 with Retry-After), and every request counted in citygrid_open_requests_total.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  OPEN_ALERTS_COLUMNS, OPEN_DATA_LIMITS, OPEN_DEVICE_COLUMNS, OPEN_HOURLY_COLUMNS, OPEN_REPORTS_COLUMNS, SEVERITIES,
  type OpenConditions, type OpenIndex, type Severity,
} from '@citygrid/contract';
import { Counter, type Registry } from 'prom-client';
import { localAlertService } from '../alerts/service.js';
import { Errors } from '../errors.js';
import { parseOpenDay, type OpenDay } from '../open-data/dates.js';
import { AGGREGATION_NOTE, MODEL_OF, ngsiLdEntities } from '../open-data/ngsi-ld.js';
import { AddressLimiter } from '../open-data/rate-limit.js';
import { OpenDataService, metaOf } from '../open-data/service.js';
import type { AppDeps } from './app.js';
import { BOM, csvLine } from './csv.js';
import { addressKey } from '../auth/login-limiter.js';

export interface OpenDataRouterOptions {
  /** Requests per address per window (default OPEN_DATA_LIMITS). */
  requestsPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

const METRIC = 'citygrid_open_requests_total';
/** The counter from the system's metrics (metrics.ts), or one of its own in a registry without it (tests building the app alone). */
function requestCounter(registry: Registry | undefined): Counter<'endpoint'> {
  return (registry?.getSingleMetric(METRIC) as Counter<'endpoint'> | undefined)
    ?? new Counter({ name: METRIC, help: 'Requests to the open data (GET /api/open/..., no sign-in), by endpoint, refused ones included', labelNames: ['endpoint'] as const, registers: registry ? [registry] : [] });
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function openDataRouter(deps: AppDeps, options: OpenDataRouterOptions = {}): Router {
  const router = Router();
  const now = options.now ?? Date.now;
  const alerts = deps.alertService ?? localAlertService(deps.alerting);
  const open = new OpenDataService({ city: deps.city, store: deps.store, alerts, now, reports: deps.reports ?? null });
  const counter = requestCounter(deps.metricsRegistry as Registry | undefined);
  const maxDaysBack = OPEN_DATA_LIMITS.maxDaysBack;
  const perWindow = options.requestsPerWindow ?? OPEN_DATA_LIMITS.requestsPerWindow;
  const windowMs = options.windowMs ?? OPEN_DATA_LIMITS.windowMs;
  const limiter = new AddressLimiter({ limit: perWindow, windowMs });
  const licence = open.licence();

  /** Counts the request, applies the address's limit, and states the licence on every answer. */
  const guard = (endpoint: string): RequestHandler => (req, res, next) => {
    counter.inc({ endpoint });
    res.set('Link', `<${licence.url}>; rel="license", </api/open>; rel="describedby"`);
    res.set('Access-Control-Allow-Origin', '*'); // open data: any site may read it (no credentials are involved)
    const decision = limiter.take(addressKey(req.ip ?? req.socket.remoteAddress ?? 'unknown'), now());
    if (!decision.ok) {
      throw Errors.OPEN_RATE_LIMITED(`Too many open-data requests from this address: at most ${perWindow} per ${Math.round(windowMs / 1000)} s; try again in ${decision.retryAfterS} s`)
        .withHeader('Retry-After', String(decision.retryAfterS));
    }
    next();
  };
  const dayOf = (req: Request): OpenDay => {
    const extra = Object.keys(req.query).filter((k) => k !== 'date');
    if (extra.length) throw Errors.QUERY_INVALID(extra[0]!.slice(0, 40), 'the open data takes only ?date=YYYY-MM-DD');
    return parseOpenDay(req.query.date, now(), maxDaysBack);
  };
  const cacheFor = (res: Response, day: OpenDay | null) => {
    res.set('Cache-Control', day?.complete ? 'public, max-age=86400' : `public, max-age=${Math.round(OPEN_DATA_LIMITS.freshMs / 1000)}`);
  };
  const csv = (res: Response, name: string, day: OpenDay, header: readonly string[], rows: (string | number)[][], aggregation = 'hourly per grid cell, UTC hours; min, mean, max and count of readings per metric') => {
    cacheFor(res, day);
    res.set('X-Aggregation', aggregation);
    res.type('text/csv; charset=utf-8').attachment(`${name}-${day.date}.csv`);
    let body = BOM + csvLine(header);
    for (const r of rows) body += csvLine(r);
    res.send(body);
  };

  router.get('/open', guard('index'), (_req, res) => {
    const { name_en } = metaOf(deps.city);
    const body: OpenIndex = {
      name: `Open data of ${name_en ?? deps.city.name}`,
      city: { name: deps.city.name, ...(name_en ? { name_en } : {}) },
      licence,
      aggregation: {
        period: 'PT1H',
        spatialUnit: 'grid cell',
        timeZone: 'UTC',
        metrics: 'For every UTC hour, grid cell and metric: the lowest, mean and highest value and the number of readings of all the cell\'s devices in that hour (booleans as 0/1, so their mean is the share of readings that were true).',
        alerts: 'For every UTC hour and grid cell: how many alerts of each colour (red, orange, yellow, blue) became firing in that hour. No alert texts, notes or names.',
        ...(deps.reports ? { reports: 'For every UTC hour, grid cell and category: how many residents\' reports were filed (the same report filed again within an hour counts once; spam is not counted). Never their texts.' } : {}),
        days: `One UTC day per request (?date=YYYY-MM-DD, default: yesterday, the last complete day); today is allowed and is partial. Days back to ${maxDaysBack} days ago; a day older than the store keeps readings (RETENTION, 30 days by default) has no rows.`,
      },
      neverPublished: [
        'raw readings of single devices (a device the city file marks public has its own hourly aggregates, never its raw readings)',
        'the names, usernames, phone numbers or chat handles of people (grid workers, supervisors, operators)',
        'alert notes, alert texts and who acknowledged, dispatched or resolved an alert',
        'residents\' report texts',
        'camera images (none are ever stored)',
      ],
      limits: { requestsPerMinute: Math.round(perWindow * 60_000 / windowMs), daysPerRequest: 1, maxDaysBack: maxDaysBack },
      publicDevices: open.publicDevices(),
      links: [
        { rel: 'license', href: licence.url, type: 'text/html', title: `${licence.name}; attribution: ${licence.attribution}` },
        { rel: 'data', href: '/api/open/hourly.csv', type: 'text/csv', title: `Hourly aggregates per cell and metric (?date=YYYY-MM-DD); columns: ${OPEN_HOURLY_COLUMNS.join(', ')}` },
        { rel: 'data', href: '/api/open/alerts-hourly.csv', type: 'text/csv', title: `Alerts fired per cell and hour by colour (?date=YYYY-MM-DD); columns: ${OPEN_ALERTS_COLUMNS.join(', ')}` },
        ...(deps.reports ? [{ rel: 'data', href: '/api/open/reports-hourly.csv', type: 'text/csv', title: `Residents' reports per cell, hour and category (?date=YYYY-MM-DD); columns: ${OPEN_REPORTS_COLUMNS.join(', ')}` }] : []),
        { rel: 'data', href: '/api/open/hourly.jsonld', type: 'application/ld+json', title: `The same as NGSI-LD entities (FIWARE Smart Data Models ${[...new Set(Object.values(MODEL_OF))].join(', ')} and Alert, keyValues form). ${AGGREGATION_NOTE}` },
        { rel: 'data', href: '/api/open/conditions', type: 'application/json', title: 'The last hour: each cell\'s worst condition, and open alerts by colour per district' },
        { rel: 'data', href: '/api/open/city', type: 'application/geo+json', title: 'The districts and grid cells (ids, names, outlines)' },
        ...open.publicDevices().map((id) => ({ rel: 'data', href: `/api/open/devices/${id}/hourly.csv`, type: 'text/csv', title: `Hourly aggregates of public device ${id} (?date=YYYY-MM-DD); columns: ${OPEN_DEVICE_COLUMNS.join(', ')}` })),
      ],
    };
    res.set('Cache-Control', 'public, max-age=300');
    res.json(body);
  });

  router.get('/open/hourly.csv', guard('hourly.csv'), async (req, res) => {
    const day = dayOf(req);
    const data = await open.day(day);
    csv(res, 'hourly', day, OPEN_HOURLY_COLUMNS, data.metrics.map((r) => [iso(r.hour), r.cell, r.district, r.metric, r.unit, r.min, r.mean, r.max, r.count]));
  });

  router.get('/open/alerts-hourly.csv', guard('alerts-hourly.csv'), async (req, res) => {
    const day = dayOf(req);
    const data = await open.day(day);
    const rows = new Map<string, { hour: number; cell: string; district: string; counts: Record<Severity, number> }>();
    for (const a of data.alerts) {
      const key = `${a.hour}\0${a.cell}`;
      let row = rows.get(key);
      if (!row) rows.set(key, row = { hour: a.hour, cell: a.cell, district: a.district, counts: { red: 0, orange: 0, yellow: 0, blue: 0 } });
      row.counts[a.severity] += a.count;
    }
    csv(res, 'alerts-hourly', day, OPEN_ALERTS_COLUMNS, [...rows.values()].map((r) => [iso(r.hour), r.cell, r.district, ...SEVERITIES.map((s) => r.counts[s])]));
  });

  router.get('/open/reports-hourly.csv', guard('reports-hourly.csv'), async (req, res) => {
    if (!deps.reports) throw Errors.REPORTS_OFF();
    const day = dayOf(req);
    const data = await open.day(day);
    csv(res, 'reports-hourly', day, OPEN_REPORTS_COLUMNS, data.reports.map((r) => [iso(r.hour), r.cell, r.district, r.category, r.count]), 'hourly per grid cell and category, UTC hours; reports filed (a folded copy counts once, spam not at all)');
  });

  router.get('/open/hourly.jsonld', guard('hourly.jsonld'), async (req, res) => {
    const day = dayOf(req);
    const data = await open.day(day);
    cacheFor(res, day);
    res.set('X-Aggregation', 'hourly per grid cell, UTC hours; model attributes hold the mean');
    res.type('application/ld+json; charset=utf-8').send(JSON.stringify(ngsiLdEntities(data, deps.city, licence.attribution)));
  });

  router.get('/open/conditions', guard('conditions'), async (_req, res) => {
    const body: OpenConditions = await open.conditions();
    cacheFor(res, null);
    res.json(body);
  });

  router.get('/open/city', guard('city'), (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600');
    res.json(open.cityShape());
  });

  router.get('/open/devices/:id/hourly.csv', guard('device-hourly.csv'), async (req, res) => {
    const id = String(req.params.id);
    // an unknown device and one that is not public get the same answer: which devices exist is not said
    const device = open.publicDevice(id);
    if (!device) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    const day = dayOf(req);
    const data = await open.deviceDay(device, day);
    csv(res, `device-${device.id}-hourly`, day, OPEN_DEVICE_COLUMNS, data.metrics.map((r) => [iso(r.hour), device.id, r.cell, r.district, r.metric, r.unit, r.min, r.mean, r.max, r.count]));
  });

  // anything else under /api/open: not found here (rather than asking for a sign-in)
  router.use('/open', guard('other'), (req) => {
    throw Errors.NOT_FOUND(req.method, req.originalUrl.split('?')[0]!.slice(0, 100));
  });
  return router;
}
