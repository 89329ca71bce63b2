// Alerts and maintenance: GET /api/alerts, /api/alerts/:id, POST ack/resolve, /api/maintenance.
// Until sign-in lands, the acting user is the body's `by` (recorded with every action).
import { Router } from 'express';
import { SEVERITIES, parseDuration } from '@citygrid/contract';
import { AlertActionError } from '../alerts/alert-manager.js';
import { computeScores } from '../alerts/scores.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { intParam, optionalString, timeParam } from './query.js';

const USER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function actorOf(body: unknown): string {
  const by = (body as { by?: unknown } | undefined)?.by;
  return typeof by === 'string' && USER.test(by) ? by : 'anonymous';
}

function noteOf(body: unknown): string | null {
  const note = (body as { note?: unknown } | undefined)?.note;
  if (note === undefined || note === null) return null;
  if (typeof note !== 'string' || note.length > 2000) throw Errors.QUERY_INVALID('note', 'must be text of at most 2000 characters');
  return note;
}

function rethrow(err: unknown, id: string): never {
  if (err instanceof AlertActionError) {
    if (err.code === 'ALERT_NOT_FOUND') throw Errors.ALERT_NOT_FOUND(id.slice(0, 64));
    if (err.code === 'ALERT_RESOLVED') throw Errors.ALERT_RESOLVED(id.slice(0, 64));
    throw Errors.NOTE_REQUIRED('say what was done');
  }
  throw err;
}

export function alertsRouter({ alerting }: AppDeps): Router {
  const router = Router();
  const { manager } = alerting;

  router.get('/alerts', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const state = optionalString(q, 'state') ?? 'active';
    if (state !== 'active' && state !== 'all') throw Errors.QUERY_INVALID('state', 'must be active or all');
    const severity = optionalString(q, 'severity');
    if (severity && !(SEVERITIES as readonly string[]).includes(severity)) throw Errors.QUERY_INVALID('severity', `must be one of ${SEVERITIES.join(', ')}`);
    const grid = optionalString(q, 'grid');
    const district = optionalString(q, 'district');
    res.json({ alerts: manager.list({ active: state === 'active', limit: intParam(q, 'limit', 500, 1, 5000), ...(grid ? { grid } : {}), ...(district ? { district } : {}), ...(severity ? { severity } : {}) }) });
  });

  router.get('/alerts/:id', (req, res) => {
    const alert = manager.get(req.params.id);
    if (!alert) throw Errors.ALERT_NOT_FOUND(req.params.id.slice(0, 64));
    res.json({ alert, history: alerting.log.history(alert.id).map(({ alert: _a, ...e }) => e) });
  });

  router.post('/alerts/:id/ack', (req, res) => {
    try {
      res.json({ alert: manager.acknowledge(req.params.id, actorOf(req.body), noteOf(req.body), Date.now()) });
    } catch (err) {
      rethrow(err, req.params.id);
    }
  });

  router.post('/alerts/:id/resolve', (req, res) => {
    const note = noteOf(req.body);
    if (!note || !note.trim()) throw Errors.NOTE_REQUIRED('say what was done, e.g. {"note": "pump started, water receding"}');
    try {
      res.json({ alert: manager.resolve(req.params.id, actorOf(req.body), note, Date.now()) });
    } catch (err) {
      rethrow(err, req.params.id);
    }
  });

  router.get('/maintenance', (_req, res) => {
    res.json({ windows: manager.listMaintenance(Date.now()) });
  });

  router.post('/maintenance', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const now = Date.now();
    const problems: string[] = [];
    const device = typeof b.device === 'string' ? b.device : undefined;
    const grid = typeof b.grid === 'string' ? b.grid : undefined;
    if ((device === undefined) === (grid === undefined)) problems.push('give exactly one of device or grid');
    if (device !== undefined && !alerting.city.devicesById.has(device)) problems.push(`unknown device "${device.slice(0, 64)}"`);
    if (grid !== undefined && !alerting.city.cellsById.has(grid)) problems.push(`unknown grid "${grid.slice(0, 64)}"`);
    if (typeof b.reason !== 'string' || !b.reason.trim() || b.reason.length > 500) problems.push('reason: say why (at most 500 characters)');
    let until: number | null = null;
    if (typeof b.for === 'string') until = parseDuration(b.for) !== null ? now + parseDuration(b.for)! : null;
    else if (typeof b.until === 'string' || typeof b.until === 'number') until = typeof b.until === 'number' ? b.until : Date.parse(b.until);
    if (until === null || !Number.isFinite(until) || until <= now) problems.push('give "for" (e.g. "2h") or a future "until"');
    else if (until - now > 30 * 86_400_000) problems.push('a window may last at most 30 days');
    if (problems.length) throw Errors.MAINTENANCE_INVALID(problems.join('; '));
    const window = manager.addMaintenance({ target: device ? { device } : { grid: grid! }, by: actorOf(b), reason: String(b.reason), from: now, until: until! }, now);
    res.status(201).json({ window });
  });

  router.delete('/maintenance/:id', (req, res) => {
    if (!manager.endMaintenance(req.params.id, actorOf(req.body), Date.now())) throw Errors.MAINTENANCE_NOT_FOUND(req.params.id.slice(0, 64));
    res.status(204).end();
  });

  router.get('/scores', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const to = timeParam(q, 'to', now);
    const from = timeParam(q, 'from', to - 7 * 86_400_000);
    if (from >= to) throw Errors.QUERY_INVALID('from', 'must be before to');
    const by = optionalString(q, 'by') ?? 'grid';
    if (by !== 'grid' && by !== 'district') throw Errors.QUERY_INVALID('by', 'must be grid or district');
    const scores = computeScores(alerting.log.alertsStartedBetween(from, to), by, (s) => alerting.routing.deadline(s), now);
    res.json({ from, to, by, scores });
  });

  router.get('/rules', (_req, res) => {
    res.json({ ...alerting.health(), rules: manager.rulesStatus() });
  });

  router.post('/rules/reload', (_req, res) => {
    const result = alerting.reload();
    if (result.problems.length) throw Errors.RULES_INVALID(result.problems.join('; '));
    res.json({ ...alerting.health(), rules: manager.rulesStatus() });
  });

  return router;
}
