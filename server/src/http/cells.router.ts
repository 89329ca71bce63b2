// A grid cell's readings for its page: GET /api/cells/:id/readings, one series per numeric metric over
// all the cell's devices that measure it (cell-readings.ts), so the page draws one chart per metric
// however many devices the cell has. A grid worker reads their own cells only (auth/scope.ts): another
// cell answers 403 CG_FORBIDDEN, saying so (every cell is on everyone's map: its id is no secret).
import { Router, type Request } from 'express';
import type { BucketPoint, CellReadingsResponse } from '@citygrid/contract';
import type { City, GridCell } from '@citygrid/contract/node';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { cellMetrics, mergeBuckets } from './cell-readings.js';
import { READINGS_MAX_POINTS, checkBuckets, optionalString, rangeParams, stepParam } from './query.js';

const MINUTE = 60_000; // ms
const DAY = 86_400_000; // ms
/** Metrics per request (metrics): a page asks for a few charts. */
export const CELL_READINGS_MAX_METRICS = 8;
/** Device series read per request (devices × metrics): each is one store query. */
export const CELL_READINGS_MAX_SERIES = 48;
/** The longest range (ms: 31 days). */
export const CELL_READINGS_MAX_RANGE_MS = 31 * DAY;
const DEFAULT_STEP_MS = 5 * MINUTE;

/**
 * The cell a request's :id names, if the signed-in user may read it: 404 CG_GRID_NOT_FOUND for no such
 * cell, 403 CG_FORBIDDEN for a grid worker's other cell (`verb` says what they were refused: "reads").
 */
export function readableCell(req: Request, city: City, verb = 'reads'): GridCell {
  const id = String(req.params.id ?? '');
  const cell = city.cellsById.get(id);
  if (!cell) throw Errors.GRID_NOT_FOUND(id.slice(0, 64));
  const { user } = sessionOf(req);
  if (!readScope(user, city).grid(cell.id)) {
    throw Errors.FORBIDDEN(`${user.username} is a grid worker and ${verb} only the cells they answer for; ${cell.id} is not one of them`);
  }
  return cell;
}

export function cellsRouter({ city, store }: AppDeps): Router {
  const router = Router();

  router.get('/cells/:id/readings', async (req, res) => {
    const cell = readableCell(req, city);
    const q = req.query as Record<string, unknown>;
    const step = stepParam(q, 'step') ?? DEFAULT_STEP_MS;
    const { from, to } = rangeParams(q, { defaultMs: DAY, maxMs: CELL_READINGS_MAX_RANGE_MS, now: Date.now(), what: 'a cell\'s readings are served for' });
    checkBuckets(from, to, step);

    const available = cellMetrics(city.devices.filter((d) => d.grid === cell.id));
    const asked = optionalString(q, 'metric', /^[a-z0-9_]{1,40}(,[a-z0-9_]{1,40}){0,15}$/)?.split(',');
    const wanted = asked ? available.filter((m) => asked.includes(m.metric)) : available;
    const missing = asked?.filter((name) => !available.some((m) => m.metric === name)) ?? [];
    if (missing.length) {
      throw Errors.QUERY_INVALID('metric', `the devices of ${cell.id} measure no numeric metric ${missing.join(', ')}; they measure: ${available.map((m) => m.metric).join(', ') || '(none)'}`);
    }
    if (wanted.length > CELL_READINGS_MAX_METRICS) {
      throw Errors.LIMIT_EXCEEDED(`${cell.id} has ${wanted.length} numeric metrics; at most ${CELL_READINGS_MAX_METRICS} per request: name some with metric=`);
    }
    const reads = wanted.reduce((n, m) => n + m.devices.length, 0);
    if (reads > CELL_READINGS_MAX_SERIES) {
      throw Errors.LIMIT_EXCEEDED(`those metrics are measured by ${reads} device series in ${cell.id}; at most ${CELL_READINGS_MAX_SERIES} per request: name fewer with metric=`);
    }

    // one store query per device, for the wanted metrics of its kind
    const perDevice = new Map<string, string[]>();
    for (const m of wanted) for (const d of m.devices) perDevice.set(d, [...perDevice.get(d) ?? [], m.metric]);
    const buckets = new Map<string, BucketPoint[][]>();
    for (const [device, metrics] of perDevice) {
      const kind = city.devicesById.get(device)!.kind;
      for (const s of await store.queryReadings({ device, kind, metrics, from, to, step, limit: READINGS_MAX_POINTS })) {
        buckets.set(s.metric, [...buckets.get(s.metric) ?? [], s.points as BucketPoint[]]); // a step gives buckets
      }
    }
    const body: CellReadingsResponse = {
      grid: cell.id, from, to, step,
      series: wanted.map((m) => ({ ...m, points: mergeBuckets(buckets.get(m.metric) ?? []) })),
    };
    res.json(body);
  });

  return router;
}
