// Residents' reports (issue 17). Public, no sign-in:
//   GET  /api/public/reports/challenge   a proof-of-work challenge (reports/challenges.ts)
//   POST /api/public/reports             {category, text, cell | location, challenge, nonce} → 201 the receipt
//   GET  /api/public/reports/:receipt    the report's status, by its receipt (never its text)
// Signed in:
//   GET  /api/reports?limit=&before=     newest first; a grid worker sees their own cells'
//   GET  /api/reports?alert=<id>         the reports that joined an alert the user may see
//   POST /api/reports/:receipt/spam      operators and admins; audited
// With REPORTS=0 (a city that takes no reports; on by default) every one of them answers 404 CG_REPORTS_OFF.
import { Router, type Request } from 'express';
import type { ReportList, ReportView } from '@citygrid/contract';
import { requireRole, sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import { localAlertService } from '../alerts/service.js';
import type { ReportIntake } from '../reports/intake.js';
import type { AppDeps } from './app.js';
import { intParam, limitParam } from './query.js';

const LIST = { default: 100, max: 500 };

const ipOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

function on(deps: AppDeps): ReportIntake {
  if (!deps.reports) throw Errors.REPORTS_OFF();
  return deps.reports;
}

export function publicReportsRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/public/reports/challenge', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(on(deps).challenge(ipOf(req)));
  });
  router.post('/public/reports', async (req, res) => {
    const filed = await on(deps).file(ipOf(req), req.body);
    res.status(filed.folded ? 200 : 201).json(filed);
  });
  router.get('/public/reports/:receipt', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await on(deps).receipt(ipOf(req), String(req.params.receipt ?? '')));
  });
  return router;
}

export function reportsRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/reports', async (req, res) => {
    const intake = on(deps);
    const q = req.query as Record<string, unknown>;
    const { user } = sessionOf(req);
    const scope = readScope(user, deps.city);
    let cells = scope.cityWide ? null : new Set(deps.city.cells.filter((c) => scope.cell(c.id, c.district)).map((c) => c.id));
    const before = q.before === undefined ? undefined : intParam(q, 'before', 0, 1, Number.MAX_SAFE_INTEGER);
    let alert: string | undefined;
    if (q.alert !== undefined) {
      if (typeof q.alert !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(q.alert)) throw Errors.QUERY_INVALID('alert', 'must be an alert id');
      const a = (deps.alertService ?? localAlertService(deps.alerting)).get(q.alert);
      // an alert the user may see (a grid worker: their cells', or one dispatched to them): all its reports
      if (!a || !scope.alert(a)) throw Errors.ALERT_NOT_FOUND(q.alert);
      alert = a.id;
      cells = null;
    }
    const reports: ReportView[] = await intake.list(cells, limitParam(q, 'limit', LIST, 'reports'), before, alert);
    res.json({ reports } satisfies ReportList);
  });
  router.post('/reports/:receipt/spam', requireRole('markSpam'), async (req, res) => {
    const intake = on(deps);
    const receipt = String(req.params.receipt ?? '');
    const { user } = sessionOf(req);
    const before = await intake.get(receipt);
    if (!before) throw Errors.REPORT_NOT_FOUND(receipt.slice(0, 20));
    const after = (await intake.markSpam(receipt, user.username))!;
    if (before.status !== 'spam') deps.auth.audit.record({ user: user.username, action: 'report_spam', target: receipt, note: null });
    res.json({ report: after });
  });
  return router;
}
