// GET /api/audit?limit=&user=&action=&before= (admin): the audit log, newest first.
import { Router } from 'express';
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry, type AuditResponse } from '@citygrid/contract';
import { requireRole } from '../auth/middleware.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { AUDIT_LIMIT, intParam, limitParam, optionalString } from './query.js';

export function auditRouter({ auth }: AppDeps): Router {
  const router = Router();
  router.get('/audit', requireRole('audit'), (req, res) => {
    const q = req.query as Record<string, unknown>;
    const action = optionalString(q, 'action');
    if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) throw Errors.QUERY_INVALID('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    const user = optionalString(q, 'user');
    const before = q.before === undefined ? undefined : intParam(q, 'before', 0, 1, Number.MAX_SAFE_INTEGER);
    const entries: AuditEntry[] = auth.audit.list({
      limit: limitParam(q, 'limit', AUDIT_LIMIT, 'entries'),
      ...(user !== undefined ? { user } : {}),
      ...(action !== undefined ? { action: action as AuditAction } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    res.json({ entries } satisfies AuditResponse);
  });
  return router;
}
