// Devices with live values, and their history: GET /api/devices, /api/devices/:id, /api/devices/:id/readings.
// A grid worker reads only the devices of their own cells (auth/scope.ts); another cell's device answers
// 404 CG_DEVICE_NOT_FOUND, word for word what a device that does not exist answers.
import { Router, type Request } from 'express';
import { metricsOf, type DevicesResponse, type ReadingsResponse, type DeviceView } from '@citygrid/contract';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import {
  READINGS_MAX_METRICS, READINGS_MAX_POINTS, READINGS_MAX_RANGE_MS, READINGS_MAX_RAW_RANGE_MS,
  checkBuckets, limitParam, optionalString, rangeParams, stepParam,
} from './query.js';

const HOUR = 3_600_000; // ms

export function devicesRouter({ city, registry, store }: AppDeps): Router {
  const router = Router();
  const scopeOf = (req: Request) => readScope(sessionOf(req).user, city);

  /** The device if this user may read it; 404 otherwise (unknown or not theirs: the same answer). */
  function readable(req: Request) {
    const id = String(req.params.id ?? '');
    const device = registry.get(id);
    if (!device || !scopeOf(req).device(device.id)) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    return device;
  }

  router.get('/devices', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    const kind = optionalString(q, 'kind');
    const scope = scopeOf(req);
    const devices = registry.views().filter((d) =>
      (!grid || d.grid === grid) && (!district || d.district === district) && (!kind || d.kind === kind) && scope.cell(d.grid, d.district));
    const body: DevicesResponse = { devices };
    res.json(body);
  });

  router.get('/devices/:id', (req, res) => {
    res.json(registry.view(readable(req).id)! satisfies DeviceView); // readable() answered 404 for an unknown id
  });

  router.get('/devices/:id/readings', async (req, res) => {
    const device = readable(req);
    const q = req.query as Record<string, unknown>;
    const specs = metricsOf(device.kind);
    const metric = optionalString(q, 'metric');
    if (metric !== undefined && !Object.hasOwn(specs, metric)) {
      throw Errors.METRIC_UNKNOWN(device.id, device.kind, metric, Object.keys(specs).join(', ') || '(none: cameras send events)');
    }
    const limit = limitParam(q, 'limit', { default: READINGS_MAX_POINTS, max: READINGS_MAX_POINTS }, 'raw points per metric');
    const step = stepParam(q, 'step');
    const { from, to } = step === null
      ? rangeParams(q, { defaultMs: HOUR, maxMs: READINGS_MAX_RAW_RANGE_MS, now: Date.now(), what: 'raw points are served for', hint: 'give a step, e.g. step=1h, for up to 366 days' })
      : rangeParams(q, { defaultMs: HOUR, maxMs: READINGS_MAX_RANGE_MS, now: Date.now(), what: 'history with step is served for' });
    if (step !== null) checkBuckets(from, to, step);
    const metrics = metric ? [metric] : Object.keys(specs);
    if (metrics.length > READINGS_MAX_METRICS) {
      throw Errors.LIMIT_EXCEEDED(`${device.kind} has ${metrics.length} metrics; at most ${READINGS_MAX_METRICS} per request: name one with metric=`);
    }
    const series = await store.queryReadings({ device: device.id, kind: device.kind, metrics, from, to, step, limit });
    const body: ReadingsResponse = {
      device: device.id, from, to, step,
      series: series.map((s) => {
        const spec = specs[s.metric];
        return { metric: s.metric, ...(spec?.type === 'number' ? { unit: spec.unit } : {}), points: s.points };
      }),
    };
    res.json(body);
  });

  return router;
}
