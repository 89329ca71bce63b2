// Past alerts (issue 15 step 4): GET /api/alerts/history answers a page of the alerts started in a range
// that match the filters, newest first, with how many match in all; GET /api/alerts/history.csv writes
// all of them (at most HISTORY_CSV_MAX_ROWS: more are refused, saying how many matched) as a CSV file,
// read from the search a chunk at a time and written as the client takes it. A grid worker finds only
// their own cells' alerts and those assigned to them (auth/scope.ts). Exports are audited.
// Mounted before alertsRouter, whose /alerts/:id would take "history" for an alert id.
import { Router, type Request } from 'express';
import { HISTORY_CSV_MAX_ROWS, HISTORY_PAGE, type HistoryResponse } from '@citygrid/contract';
import type { HistoryQuery } from '../alerts/history-search.js';
import { localAlertService } from '../alerts/service.js';
import { sessionOf } from '../auth/middleware.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { CsvResponse, ZonedClock } from './csv.js';
import type { ExportSlots } from './export-slots.js';
import { alertHeader, alertRow } from './history-csv.js';
import { csvOptions, describeFilter, historyFilter, historyScope } from './history-query.js';
import { intParam, limitParam } from './query.js';

/** Alerts read from the search per step of an export. */
const CSV_CHUNK = 1000;
/** The deepest page: offset at most this (alerts). */
const MAX_OFFSET = 1_000_000;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');

export function historyRouter({ alerting, alertService, auth, logger }: AppDeps, slots: ExportSlots): Router {
  const router = Router();
  const alerts = alertService ?? localAlertService(alerting);
  const { city } = alerting;

  function query(req: Request): Omit<HistoryQuery, 'offset' | 'limit'> {
    return { ...historyFilter(req.query as Record<string, unknown>, city, Date.now()), scope: historyScope(sessionOf(req).user) };
  }

  router.get('/alerts/history', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const base = query(req);
    const offset = intParam(q, 'offset', 0, 0, MAX_OFFSET);
    const limit = limitParam(q, 'limit', HISTORY_PAGE, 'alerts per page');
    const page = alerts.search({ ...base, offset, limit });
    res.json({ from: base.from, to: base.to, total: page.total, offset, limit, items: page.items } satisfies HistoryResponse);
  });

  router.get('/alerts/history.csv', async (req, res) => {
    const { username } = sessionOf(req).user;
    const base = query(req);
    const { lang, tz } = csvOptions(req.query as Record<string, unknown>);
    let page = alerts.search({ ...base, offset: 0, limit: CSV_CHUNK });
    if (page.total > HISTORY_CSV_MAX_ROWS) {
      throw Errors.LIMIT_EXCEEDED(`${page.total.toLocaleString('en-US')} alerts match; one CSV holds at most ${HISTORY_CSV_MAX_ROWS.toLocaleString('en-US')}: narrow the range or the filters`);
    }
    const release = slots.take(username);
    const csv = new CsvResponse(req, res, `alerts-${day(base.from)}-${day(base.to - 1)}.csv`);
    const clock = new ZonedClock(tz);
    const time = (ms: number) => clock.text(ms);
    try {
      await csv.row(alertHeader(lang, tz));
      while (csv.open) {
        for (const item of page.items) {
          if (!csv.open) break;
          await csv.row(alertRow(item, lang, time, city));
        }
        if (page.items.length < CSV_CHUNK) break;
        const last = page.items[page.items.length - 1]!.alert;
        page = alerts.search({ ...base, offset: 0, limit: CSV_CHUNK, after: { startedAt: last.startedAt, id: last.id }, count: false });
      }
      await csv.end();
    } catch (err) {
      logger.error({ err, user: username }, 'alert history export failed after it began; the connection was cut');
      csv.abort();
    } finally {
      release();
      const rows = Math.max(0, csv.rows - 1);
      auth.audit.record({ user: username, action: 'export', target: 'alerts', note: `${rows} alerts${csv.open ? '' : ' (cut short: the client left or the read failed)'}; ${describeFilter(base)}; ${lang}, ${tz}` });
    }
  });

  return router;
}
