// Retention wired into `npm start` (server/src/system.ts, retention.ts): started on a DATA_DIR whose
// alerts.db and audit.db hold entries older than RETAIN_NAMES_DAYS / RETAIN_AUDIT_DAYS, the server
// anonymises the old alert events (their steps stay) and removes the old audit entries at once, keeps
// the newer ones, and counts what it did in /metrics.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert, AuditResponse } from '@citygrid/contract';
import { AlertLog } from '../../server/src/alerts/alert-log.js';
import { AuditLog } from '../../server/src/auth/audit-log.js';
import { getJson, login, readMetrics, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const DAY = 86_400_000;
const MIN = 60_000;
const dir = tempDir('citygrid-retention-');
let stop: (() => Promise<void>) | null = null;
afterAll(async () => {
  await stop?.();
  dir.remove();
});

function resolved(id: string, t: number): Alert {
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
    message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'resolved',
    startedAt: t, updatedAt: t + MIN, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: t + MIN, resolvedBy: 'wang-wei',
    escalation: 0, assignees: ['gw-c-a'], ackDeadline: t + 5 * MIN, suppressed: false,
  };
}

describe('retention in npm start', () => {
  it('anonymises old alert notes and actors and removes old audit entries at start, and counts them', async () => {
    const now = Date.now();
    const alerts = new AlertLog(join(dir.path, 'alerts.db'));
    for (const [id, t] of [['al-old', now - 200 * DAY], ['al-new', now - 20 * DAY]] as const) {
      alerts.append({ alertId: id, ts: t, type: 'firing', actor: 'system', note: null, alert: { ...resolved(id, t), state: 'firing', resolvedAt: null, resolvedBy: null } });
      alerts.append({ alertId: id, ts: t + MIN, type: 'resolved', actor: 'wang-wei', note: `pumped out at ${id}, told Zhang San`, alert: resolved(id, t) });
    }
    alerts.close();
    const audit = new AuditLog(join(dir.path, 'audit.db'));
    audit.record({ user: 'wang-wei', action: 'resolve', target: 'al-old', note: 'told Zhang San', ts: now - 200 * DAY });
    audit.record({ user: 'operator', action: 'login', ts: now - 40 * DAY });
    audit.record({ user: 'operator', action: 'login', ts: now - 5 * DAY });
    audit.close();

    const system = await startTestSystem({ DATA_DIR: dir.path, RETAIN_NAMES_DAYS: '180', RETAIN_AUDIT_DAYS: '30' });
    stop = () => system.stop();
    const metric = await waitFor(async () => {
      const m = await readMetrics(system.baseUrl);
      return m('citygrid_retention_removed_total', { store: 'audit.db', kind: 'audit' }) > 0 ? m : null;
    }, 'the first retention run counted');
    expect(metric('citygrid_retention_removed_total', { store: 'alerts.db', kind: 'events' })).toBe(1);
    expect(metric('citygrid_retention_removed_total', { store: 'alerts.db', kind: 'notes' })).toBe(1);
    expect(metric('citygrid_retention_removed_total', { store: 'audit.db', kind: 'audit' })).toBe(2);

    const raw = new Database(join(dir.path, 'alerts.db'), { readonly: true });
    expect(raw.prepare('SELECT alert_id, type, actor, note FROM alert_events ORDER BY seq').all()).toEqual([
      { alert_id: 'al-old', type: 'firing', actor: 'system', note: null },
      { alert_id: 'al-old', type: 'resolved', actor: '(removed after 180 days)', note: '(note removed after 180 days)' },
      { alert_id: 'al-new', type: 'firing', actor: 'system', note: null },
      { alert_id: 'al-new', type: 'resolved', actor: 'wang-wei', note: 'pumped out at al-new, told Zhang San' },
    ]);
    expect(raw.prepare("SELECT alert_id FROM alert_history WHERE instr(notes_text, 'zhang san') > 0").pluck().all()).toEqual(['al-new']);
    raw.close();

    const token = await login(system.baseUrl, 'admin');
    const { body } = await getJson<AuditResponse>(`${system.baseUrl}/api/audit?limit=50`, token);
    expect(body.entries.filter((e) => e.action !== 'login' || e.ts < now).map((e) => [e.user, e.action, Math.round((now - e.ts) / DAY)])).toEqual([['operator', 'login', 5]]);
  }, 60_000);
});
