// Devices with live values, and their history: GET /api/devices, /api/devices/:id, /api/devices/:id/readings.
import { Router } from 'express';
import { metricsOf, type DevicesResponse, type ReadingsResponse } from '@citygrid/contract';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { intParam, optionalString, stepParam, timeParam } from './query.js';

const HOUR = 3_600_000;
const MAX_BUCKETS = 10_000;

export function devicesRouter({ registry, store }: AppDeps): Router {
  const router = Router();

  router.get('/devices', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    const kind = optionalString(q, 'kind');
    const devices = registry.views().filter((d) =>
      (!grid || d.grid === grid) && (!district || d.district === district) && (!kind || d.kind === kind));
    const body: DevicesResponse = { devices };
    res.json(body);
  });

  router.get('/devices/:id', (req, res) => {
    const view = registry.view(req.params.id);
    if (!view) throw Errors.DEVICE_NOT_FOUND(req.params.id.slice(0, 64));
    res.json(view);
  });

  router.get('/devices/:id/readings', async (req, res) => {
    const device = registry.get(req.params.id);
    if (!device) throw Errors.DEVICE_NOT_FOUND(req.params.id.slice(0, 64));
    const q = req.query as Record<string, unknown>;
    const specs = metricsOf(device.kind);
    const metric = optionalString(q, 'metric');
    if (metric !== undefined && !Object.hasOwn(specs, metric)) {
      throw Errors.METRIC_UNKNOWN(device.id, device.kind, metric, Object.keys(specs).join(', ') || '(none: cameras send events)');
    }
    const now = Date.now();
    const to = timeParam(q, 'to', now);
    const from = timeParam(q, 'from', to - HOUR);
    if (from >= to) throw Errors.QUERY_INVALID('from', 'must be before to');
    const step = stepParam(q, 'step');
    if (step !== null && (to - from) / step > MAX_BUCKETS) {
      throw Errors.QUERY_INVALID('step', `would give ${Math.ceil((to - from) / step)} buckets; at most ${MAX_BUCKETS}, use a larger step`);
    }
    const limit = intParam(q, 'limit', 10_000, 1, 100_000);
    const metrics = metric ? [metric] : Object.keys(specs);
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
