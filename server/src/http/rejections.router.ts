// GET /api/rejections: what was refused, from which device, and why. A grid worker gets only the
// refusals of their own cells' devices among the recent ones kept, and counts of those only (not the
// city's totals, nor refusals of unknown devices, which belong to no cell).
import { Router } from 'express';
import { REJECTION_REASON_CODES, type RejectionReason, type RejectionsResponse } from '@citygrid/contract';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { REJECTIONS_LIMIT, limitParam, optionalString } from './query.js';

export function rejectionsRouter({ city, rejections }: AppDeps): Router {
  const router = Router();
  router.get('/rejections', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const reason = optionalString(q, 'reason');
    if (reason !== undefined && !(REJECTION_REASON_CODES as string[]).includes(reason)) {
      throw Errors.QUERY_INVALID('reason', `must be one of ${REJECTION_REASON_CODES.join(', ')}`);
    }
    const device = optionalString(q, 'device');
    const limit = limitParam(q, 'limit', REJECTIONS_LIMIT, 'rejections');
    const filter = { ...(device ? { device } : {}), ...(reason ? { reason } : {}) };
    const scope = readScope(sessionOf(req).user, city);
    if (scope.cityWide) {
      res.json(rejections.list({ limit, ...filter }) satisfies RejectionsResponse);
      return;
    }
    // like the city-wide counts, these ignore the request's device and reason filters
    const mine = rejections.list({ limit: Number.MAX_SAFE_INTEGER }).items.filter((r) => scope.device(r.device));
    const byReason: Partial<Record<RejectionReason, number>> = {};
    let total = 0;
    for (const r of mine) {
      const n = r.count ?? 1;
      total += n;
      byReason[r.reason] = (byReason[r.reason] ?? 0) + n;
    }
    const items = mine.filter((r) => (!device || r.device === device) && (!reason || r.reason === reason)).slice(0, limit);
    const body: RejectionsResponse = { total, byReason, items };
    res.json(body);
  });
  return router;
}
