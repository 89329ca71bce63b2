// GET /api/rejections: what was refused, from which device, and why.
import { Router } from 'express';
import { REJECTION_REASON_CODES } from '@citygrid/contract';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { intParam, optionalString } from './query.js';

export function rejectionsRouter({ rejections }: AppDeps): Router {
  const router = Router();
  router.get('/rejections', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const reason = optionalString(q, 'reason');
    if (reason !== undefined && !(REJECTION_REASON_CODES as string[]).includes(reason)) {
      throw Errors.QUERY_INVALID('reason', `must be one of ${REJECTION_REASON_CODES.join(', ')}`);
    }
    const device = optionalString(q, 'device');
    res.json(rejections.list({ limit: intParam(q, 'limit', 100, 1, 1000), ...(device ? { device } : {}), ...(reason ? { reason } : {}) }));
  });
  return router;
}
