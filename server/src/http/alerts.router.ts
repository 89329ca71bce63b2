// Alerts and maintenance: GET /api/alerts, /api/alerts/:id, POST ack/resolve, /api/maintenance, rules.
// The acting user is the signed-in one (never a body field); every action goes to the audit log.
// A grid worker reads only the alerts and maintenance windows of their own cells (auth/scope.ts):
// another cell's alert answers 404 CG_ALERT_NOT_FOUND, word for word what an unknown id answers.
import { Router, type Request } from 'express';
import { MAINTENANCE_MAX_MS, SEVERITIES, parseDuration, type Alert, type AlertsResponse, type AlertDetailResponse, type AlertActionResponse, type MaintenanceListResponse, type MaintenanceCreatedResponse, type ScoresResponse, type RulesResponse } from '@citygrid/contract';
import { AlertActionError } from '../alerts/alert-manager.js';
import { ScoreSource, computeScores } from '../alerts/scores.js';
import { localAlertService } from '../alerts/service.js';
import { AlertActionTimeout } from '../bus/cluster-alerts.js';
import { requireRole, sessionOf } from '../auth/middleware.js';
import { mayActOnAlert } from '../auth/roles.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { ALERTS_LIMIT, SCORES_MAX_RANGE_MS, limitParam, optionalString, rangeParams } from './query.js';

const DAY = 86_400_000; // ms

const idOf = (req: Request): string => String(req.params.id ?? '');

function noteOf(body: unknown): string | null {
  const note = (body as { note?: unknown } | undefined)?.note;
  if (note === undefined || note === null) return null;
  if (typeof note !== 'string' || note.length > 2000) throw Errors.QUERY_INVALID('note', 'must be text of at most 2000 characters');
  return note;
}

function rethrow(err: unknown, id: string): never {
  if (err instanceof AlertActionTimeout) throw Errors.ALERT_ACTION_PENDING(err.message);
  if (err instanceof AlertActionError) {
    if (err.code === 'ALERT_NOT_FOUND') throw Errors.ALERT_NOT_FOUND(id.slice(0, 64));
    if (err.code === 'ALERT_RESOLVED') throw Errors.ALERT_RESOLVED(id.slice(0, 64));
    throw Errors.NOTE_REQUIRED('say what was done');
  }
  throw err;
}

export function alertsRouter({ alerting, auth, alertService }: AppDeps): Router {
  const router = Router();
  const { manager } = alerting; // this process's rules (in cluster mode: those of the cells it owns)
  const alerts = alertService ?? localAlertService(alerting);
  const scopeOf = (req: Request) => readScope(sessionOf(req).user, alerting.city);
  // scores read the alert log at most once a minute, however many ask (see ScoreSource)
  const scored = new ScoreSource({
    scan: () => alerts.all(),
    live: () => alerts.list({ active: false, limit: Number.MAX_SAFE_INTEGER }),
  });

  /** The alert the signed-in user may act on: 404 if none, 403 for a grid worker outside their cells. */
  function actionable(req: Request): { alert: Alert; username: string } {
    const { user } = sessionOf(req);
    const id = idOf(req);
    const alert = alerts.get(id);
    if (!alert) throw Errors.ALERT_NOT_FOUND(id.slice(0, 64));
    if (!mayActOnAlert(user, alert)) {
      throw Errors.FORBIDDEN(`${user.username} is a grid worker and may act only on alerts in their own cells or districts; alert ${alert.id} is in grid ${alert.grid} (${alert.district})`);
    }
    return { alert, username: user.username };
  }

  router.get('/alerts', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const state = optionalString(q, 'state') ?? 'active';
    if (state !== 'active' && state !== 'all') throw Errors.QUERY_INVALID('state', 'must be active or all');
    const severity = optionalString(q, 'severity');
    if (severity && !(SEVERITIES as readonly string[]).includes(severity)) throw Errors.QUERY_INVALID('severity', `must be one of ${SEVERITIES.join(', ')}`);
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    const limit = limitParam(q, 'limit', ALERTS_LIMIT, 'alerts');
    const scope = scopeOf(req);
    const filter = { active: state === 'active', ...(grid ? { grid } : {}), ...(district ? { district } : {}), ...(severity ? { severity } : {}) };
    // the manager sorts newest first; a grid worker's are picked from that order before the limit
    const list = scope.cityWide ? alerts.list({ ...filter, limit }) : alerts.list({ ...filter, limit: Number.MAX_SAFE_INTEGER }).filter((a) => scope.alert(a)).slice(0, limit);
    res.json({ alerts: list } satisfies AlertsResponse);
  });

  router.get('/alerts/:id', (req, res) => {
    const alert = alerts.get(req.params.id);
    if (!alert || !scopeOf(req).alert(alert)) throw Errors.ALERT_NOT_FOUND(req.params.id.slice(0, 64));
    res.json({ alert, history: alerts.history(alert.id).map(({ seq, ts, type, actor, note }) => ({ seq, ts, type, actor, note })) } satisfies AlertDetailResponse);
  });

  router.post('/alerts/:id/ack', requireRole('actOnAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const { alert, username } = actionable(req);
    const before = alert.state;
    try {
      const after = await alerts.acknowledge(alert.id, username, note, Date.now());
      if (before !== after.state) auth.audit.record({ user: username, action: 'acknowledge', target: alert.id, note });
      res.json({ alert: after } satisfies AlertActionResponse);
    } catch (err) {
      rethrow(err, alert.id);
    }
  });

  router.post('/alerts/:id/resolve', requireRole('actOnAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const { alert, username } = actionable(req);
    if (!note || !note.trim()) throw Errors.NOTE_REQUIRED('say what was done, e.g. {"note": "pump started, water receding"}');
    try {
      const after = await alerts.resolve(alert.id, username, note, Date.now());
      auth.audit.record({ user: username, action: 'resolve', target: alert.id, note });
      res.json({ alert: after } satisfies AlertActionResponse);
    } catch (err) {
      rethrow(err, alert.id);
    }
  });

  router.get('/maintenance', (req, res) => {
    const scope = scopeOf(req);
    // a rule's window reaches every cell the rule watches: everyone who may read alerts sees it
    const windows = alerts.listMaintenance(Date.now()).filter((w) => ('device' in w.target ? scope.device(w.target.device) : 'grid' in w.target ? scope.grid(w.target.grid) : true));
    res.json({ windows } satisfies MaintenanceListResponse);
  });

  router.post('/maintenance', requireRole('maintenance'), async (req, res) => {
    const { username } = sessionOf(req).user;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const now = Date.now();
    const problems: string[] = [];
    const text = (k: string) => (typeof b[k] === 'string' ? b[k] as string : undefined);
    const device = text('device');
    const grid = text('grid');
    const rule = text('rule');
    for (const k of ['device', 'grid', 'rule', 'for', 'reason']) if (b[k] !== undefined && typeof b[k] !== 'string') problems.push(`${k} must be a string`);
    if ([device, grid, rule].filter((x) => x !== undefined).length !== 1) problems.push('give exactly one of device, grid or rule');
    if (device !== undefined && !alerting.city.devicesById.has(device)) problems.push(`unknown device "${device.slice(0, 64)}"`);
    if (grid !== undefined && !alerting.city.cellsById.has(grid)) problems.push(`unknown grid "${grid.slice(0, 64)}"`);
    if (rule !== undefined && !manager.rulesStatus().some((r) => r.id === rule)) problems.push(`unknown rule "${rule.slice(0, 64)}"`);
    if (typeof b.reason !== 'string' || !b.reason.trim() || b.reason.length > 500) problems.push('reason: say why (at most 500 characters)');
    const time = (v: unknown): number | null => (typeof v === 'number' ? (Number.isInteger(v) ? v : null) : typeof v === 'string' && v.trim() ? Date.parse(v) : null);
    // a start a little in the past (a clock apart, a form filled slowly) means now
    let from = now;
    if (b.from !== undefined) {
      const at = time(b.from);
      if (at === null || !Number.isFinite(at)) problems.push('"from" must be epoch milliseconds or an ISO 8601 time');
      else if (at < now - 5 * 60_000) problems.push('"from" is in the past');
      else if (at - now > MAINTENANCE_MAX_MS) problems.push('a window may start at most 30 days ahead');
      else from = Math.max(now, at);
    }
    let until: number | null = null;
    if (b.for !== undefined && b.until !== undefined) problems.push('give "for" or "until", not both');
    else if (typeof b.for === 'string') {
      const ms = parseDuration(b.for);
      if (ms === null || ms <= 0) problems.push(`"for" must be a duration like "30m" or "2h", not "${b.for.slice(0, 32)}"`);
      else until = from + ms;
    } else if (b.until !== undefined) {
      until = time(b.until);
      if (until === null || !Number.isFinite(until)) { problems.push('"until" must be epoch milliseconds or an ISO 8601 time'); until = null; }
    } else problems.push('give "for" (e.g. "2h") or "until"');
    if (until !== null) {
      if (until <= now) problems.push('"until" must be in the future');
      else if (until <= from) problems.push('the window must end after it starts');
      else if (until - from > MAINTENANCE_MAX_MS) problems.push('a window may last at most 30 days');
    }
    if (problems.length) throw Errors.MAINTENANCE_INVALID(problems.join('; '));
    const target = device !== undefined ? { device } : grid !== undefined ? { grid } : { rule: rule! };
    const window = await alerts.addMaintenance({ target, by: username, reason: String(b.reason), from, until: until! }, now);
    const what = device !== undefined ? `device ${device}` : grid !== undefined ? `grid ${grid}` : `rule ${rule}`;
    const when = from > now ? `from ${new Date(from).toISOString()} ` : '';
    auth.audit.record({ user: username, action: 'maintenance_start', target: window.id, note: `${what} ${when}until ${new Date(window.until).toISOString()}: ${window.reason}` });
    res.status(201).json({ window } satisfies MaintenanceCreatedResponse);
  });

  router.delete('/maintenance/:id', requireRole('maintenance'), async (req, res) => {
    const { username } = sessionOf(req).user;
    const note = noteOf(req.body);
    const id = idOf(req);
    if (!(await alerts.endMaintenance(id, username, Date.now()))) throw Errors.MAINTENANCE_NOT_FOUND(id.slice(0, 64));
    auth.audit.record({ user: username, action: 'maintenance_end', target: id, note });
    res.status(204).end();
  });

  router.get('/scores', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const by = optionalString(q, 'by') ?? 'grid';
    if (by !== 'grid' && by !== 'district') throw Errors.QUERY_INVALID('by', 'must be grid or district');
    const { from, to } = rangeParams(q, { defaultMs: 7 * DAY, maxMs: SCORES_MAX_RANGE_MS, now, what: 'scores are computed for' });
    const scores = computeScores(scored.startedBetween(from, to), by, (s) => alerting.routing.deadline(s), now);
    res.json({ from, to, by, scores } satisfies ScoresResponse);
  });

  router.get('/rules', (_req, res) => {
    res.json({ ...alerting.health(), rules: manager.rulesStatus() } satisfies RulesResponse);
  });

  router.post('/rules/reload', requireRole('reloadRules'), (req, res) => {
    const { username } = sessionOf(req).user;
    const result = alerting.reload();
    auth.audit.record({ user: username, action: 'rules_reload', target: 'rules.yaml', note: result.problems.length ? `refused: ${result.problems.join('; ')}` : `${result.rules} rules active` });
    if (result.problems.length) throw Errors.RULES_INVALID(result.problems.join('; '));
    res.json({ ...alerting.health(), rules: manager.rulesStatus() } satisfies RulesResponse);
  });

  return router;
}
