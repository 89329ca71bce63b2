// GET /api/camera-events?grid=&district=&from=&to=&limit=: recent camera events (type, confidence,
// count, zone; never images), newest first. Live ones arrive over Socket.IO as `camera-event`.
// A grid worker gets only their own cells' events (a grid or district outside them: none).
import type { CameraEventsResponse } from '@citygrid/contract';
import { Router } from 'express';
import type { StoredCameraEvent } from '../stores/store.js';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import type { AppDeps } from './app.js';
import { CAMERA_EVENTS_LIMIT, CAMERA_EVENTS_MAX_RANGE_MS, limitParam, optionalString, rangeParams } from './query.js';

const DAY = 86_400_000; // ms

export function cameraEventsRouter({ city, store }: AppDeps): Router {
  const router = Router();
  router.get('/camera-events', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    const limit = limitParam(q, 'limit', CAMERA_EVENTS_LIMIT, 'events');
    const { from, to } = rangeParams(q, { defaultMs: DAY, maxMs: CAMERA_EVENTS_MAX_RANGE_MS, now: Date.now() + 1, what: 'camera events are served for' });
    // one store query per filter (the request's, or a grid worker's cells and districts), merged newest first
    const filters = readScope(sessionOf(req).user, city).filters({ ...(grid ? { grid } : {}), ...(district ? { district } : {}) });
    const parts: StoredCameraEvent[][] = [];
    for (const f of filters) parts.push(await store.queryEvents({ from, to, limit, ...f }));
    const events = parts.length === 1 ? parts[0]! : parts.flat().sort((a, b) => b.ts - a.ts).slice(0, limit);
    res.json({ events } satisfies CameraEventsResponse);
  });
  return router;
}
