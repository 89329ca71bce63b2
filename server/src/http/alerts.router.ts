// Alerts and maintenance: GET /api/alerts, /api/alerts/:id, POST ack/resolve/verify/send-back/dispatch,
// GET /api/people (dispatch targets), /api/maintenance, rules.
// The acting user is the signed-in one (never a body field); every action goes to the audit log.
// A grid worker reads only the alerts and maintenance windows of their own cells (auth/scope.ts):
// another cell's alert answers 404 CG_ALERT_NOT_FOUND, word for word what an unknown id answers.
import { Router, type Request } from 'express';
import { MAINTENANCE_MAX_MS, SEVERITIES, parseDuration, type Alert, type AlertsResponse, type AlertDetailResponse, type AlertActionResponse, type PeopleResponse, type MaintenanceListResponse, type MaintenanceCreatedResponse, type ScoresResponse, type RulesResponse } from '@citygrid/contract';
import { AlertActionError } from '../alerts/alert-manager.js';
import { ScoreSource, computeScores } from '../alerts/scores.js';
import { boundHistory, localAlertService } from '../alerts/service.js';
import { AlertActionTimeout } from '../bus/cluster-alerts.js';
import { requireRole, sessionOf } from '../auth/middleware.js';
import { forbiddenMessage, mayActOnAlert, maySupervise } from '../auth/roles.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import { withReportScores } from '../reports/report-scores.js';
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
    if (err.code === 'NOT_HANDLED') throw Errors.ALERT_NOT_HANDLED(err.message);
    if (err.code === 'UNKNOWN_PERSON') throw Errors.DISPATCH_INVALID(err.message);
    throw Errors.NOTE_REQUIRED('say what was done');
  }
  throw err;
}

export function alertsRouter({ alerting, auth, alertService, reports }: AppDeps): Router {
  const router = Router();
  const { manager } = alerting; // this process's rules (in cluster mode: those of the cells it owns)
  const alerts = alertService ?? localAlertService(alerting);
  const scopeOf = (req: Request) => readScope(sessionOf(req).user, alerting.city);
  // scores read the alert log at most once a minute, however many ask (see ScoreSource)
  const scored = new ScoreSource({
    scan: () => alerts.all(),
    live: () => alerts.list({ active: false, limit: Number.MAX_SAFE_INTEGER }),
  });

  type Target = { alert: Alert; username: string };

  /** The alert the signed-in user may act on: 404 if none, 403 for a grid worker outside their cells. */
  function actionable(req: Request): Target {
    const { user } = sessionOf(req);
    const id = idOf(req);
    const alert = alerts.get(id);
    if (!alert) throw Errors.ALERT_NOT_FOUND(id.slice(0, 64));
    if (!mayActOnAlert(user, alert)) {
      throw Errors.FORBIDDEN(`${user.username} is a grid worker and may act only on alerts in their own cells or districts, or dispatched to them; alert ${alert.id} is in grid ${alert.grid} (${alert.district})`);
    }
    return { alert, username: user.username };
  }

  /** The alert a supervisor, operator or admin may dispatch, verify or send back: 404, else 403. */
  function supervisable(req: Request): Target {
    const { user } = sessionOf(req);
    const id = idOf(req);
    const alert = alerts.get(id);
    if (!alert || !scopeOf(req).alert(alert)) throw Errors.ALERT_NOT_FOUND(id.slice(0, 64));
    if (!maySupervise(user, alert)) {
      throw Errors.FORBIDDEN(user.role === 'gridworker'
        ? `${user.username} may dispatch, verify or send back only alerts of the districts they supervise; alert ${alert.id} is in ${alert.district}`
        : forbiddenMessage(user, 'superviseAlerts'));
    }
    return { alert, username: user.username };
  }

  /** Runs an action and records it in the audit log when it changed the alert (a repeat changes nothing). */
  async function act(action: 'handle' | 'resolve' | 'verify' | 'send_back' | 'dispatch', { alert, username }: Target, note: string | null, run: () => Promise<Alert>): Promise<Alert> {
    const before = { state: alert.state, updatedAt: alert.updatedAt }; // in `npm start` the manager changes this very object
    try {
      const after = await run();
      if (after.updatedAt !== before.updatedAt || after.state !== before.state) auth.audit.record({ user: username, action, target: alert.id, note });
      return after;
    } catch (err) {
      rethrow(err, alert.id);
    }
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
    const all = alerts.history(alert.id).map(({ seq, ts, type, actor, note, to }) => ({ seq, ts, type, actor, note, ...(to ? { to } : {}) }));
    res.json({ alert, ...boundHistory(all) } satisfies AlertDetailResponse);
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

  // the assignee's "done": closes the alert, or for a colour a supervisor verifies (red and orange by
  // default) leaves it handled, awaiting verification, unless whoever says so is the verifier themself
  router.post('/alerts/:id/resolve', requireRole('actOnAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const target = actionable(req);
    if (!note || !note.trim()) throw Errors.NOTE_REQUIRED('say what was done, e.g. {"note": "pump started, water receding"}');
    const { alert, username } = target;
    const handles = alerting.routing.verifies(alert.severity) && !maySupervise(sessionOf(req).user, alert);
    const after = await act(handles ? 'handle' : 'resolve', target, note,
      () => (handles ? alerts.handle(alert.id, username, note, Date.now()) : alerts.resolve(alert.id, username, note, Date.now())));
    res.json({ alert: after } satisfies AlertActionResponse);
  });

  router.post('/alerts/:id/verify', requireRole('superviseAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const target = supervisable(req);
    const { alert, username } = target;
    if (alert.handledBy === username && sessionOf(req).user.role !== 'admin') throw Errors.FORBIDDEN(`${username} handled alert ${alert.id}: someone else verifies it`);
    res.json({ alert: await act('verify', target, note, () => alerts.verify(alert.id, username, note, Date.now())) } satisfies AlertActionResponse);
  });

  router.post('/alerts/:id/send-back', requireRole('superviseAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const target = supervisable(req);
    if (!note || !note.trim()) throw Errors.NOTE_REQUIRED('say what is still to be done, e.g. {"note": "the drain is still blocked"}');
    const { alert, username } = target;
    res.json({ alert: await act('send_back', target, note, () => alerts.sendBack(alert.id, username, note, Date.now())) } satisfies AlertActionResponse);
  });

  router.post('/alerts/:id/dispatch', requireRole('superviseAlerts'), async (req, res) => {
    const note = noteOf(req.body);
    const to = (req.body as { to?: unknown } | undefined)?.to;
    if (typeof to !== 'string' || !to) throw Errors.DISPATCH_INVALID('say to whom: {"to": "<username>", "note": "..."} (GET /api/people lists them)');
    const target = supervisable(req);
    const { alert, username } = target;
    if (!alerting.routing.person(to)) throw Errors.DISPATCH_INVALID(`no person "${to.slice(0, 64)}" in people.yaml who may act on alerts (GET /api/people lists them)`);
    const audited = note ? `to ${to}: ${note}` : `to ${to}`;
    res.json({ alert: await act('dispatch', target, audited, () => alerts.dispatch(alert.id, username, to, note, Date.now())) } satisfies AlertActionResponse);
  });

  // who alerts can be dispatched to: names, roles, cells and departments, nothing else
  router.get('/people', (_req, res) => {
    const people = alerting.city.people.filter((p) => p.role !== 'viewer').map((p) => ({
      username: p.username, name: p.name, role: p.role, grids: p.grids ?? [], districts: p.districts ?? [], department: p.department ?? null,
    }));
    res.json({ people } satisfies PeopleResponse);
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

  router.get('/scores', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const by = optionalString(q, 'by') ?? 'grid';
    if (by !== 'grid' && by !== 'district') throw Errors.QUERY_INVALID('by', 'must be grid or district');
    const { from, to } = rangeParams(q, { defaultMs: 7 * DAY, maxMs: SCORES_MAX_RANGE_MS, now, what: 'scores are computed for' });
    const alertScores = computeScores(scored.startedBetween(from, to), by, (s) => alerting.routing.deadline(s), now, (s) => alerting.routing.resolveDeadline(s));
    // REPORTS=on: residents' reports closed in the period, and how long they took
    const scores = reports ? withReportScores(alertScores, await reports.closedBetween(from, to), by) : alertScores;
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
