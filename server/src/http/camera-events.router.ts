// GET /api/camera-events?grid=&district=&from=&to=&limit=: recent camera events (type, confidence,
// count, zone; never images), newest first. Live ones arrive over Socket.IO as `camera-event`.
import { Router } from 'express';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { intParam, optionalString, timeParam } from './query.js';

const DAY = 86_400_000;

export function cameraEventsRouter({ store }: AppDeps): Router {
  const router = Router();
  router.get('/camera-events', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    const to = timeParam(q, 'to', Date.now() + 1);
    const from = timeParam(q, 'from', to - DAY);
    if (from >= to) throw Errors.QUERY_INVALID('from', 'must be before to');
    const events = await store.queryEvents({ from, to, limit: intParam(q, 'limit', 100, 1, 1000), ...(grid ? { grid } : {}), ...(district ? { district } : {}) });
    res.json({ events });
  });
  return router;
}
