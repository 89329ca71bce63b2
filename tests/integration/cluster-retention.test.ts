// Retention in cluster mode (RETAIN_NAMES_DAYS, RETAIN_AUDIT_DAYS), against a real nats-server. The
// alert stream's messages cannot be edited, so what a replica's view serves is anonymised: events
// older than the period carry no actor and no note text (the timeline still lists each step and
// when), the alert no one who acted then, the history search no longer finds their words, replay
// neither; newer events keep theirs, and they too lose them once they age past the period. The audit
// stream's max age follows RETAIN_AUDIT_DAYS, also on a stream made before with another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Alert, AlertEvent } from '@citygrid/contract';
import { AuditLog } from '../../server/src/auth/audit-log.js';
import { ClusterAlerts } from '../../server/src/bus/cluster-alerts.js';
import { AUDIT_STREAM, ClusterAudit } from '../../server/src/bus/cluster-audit.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();
const dir = mkdtempSync(join(tmpdir(), 'citygrid-cluster-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const MIN = 60_000;
const NOW = Date.now();
const OLD = NOW - 400 * DAY;
const RECENT = NOW - 10 * DAY;
const LABEL = '(removed after 365 days)';
const NOTE = '(note removed after 365 days)';
const NAMES = /wang-wei|li-na|operator|Zhang|Chen|crew|drain/;

async function replica(name: string, now: () => number = Date.now): Promise<ClusterAlerts> {
  const nc = await nats.connect();
  const view = new ClusterAlerts({
    nc, logger: pino({ level: 'silent' }), replicas: 1, maxAgeMs: 3_600_000, replicaId: name,
    onMaintenance: () => undefined, owns: () => true, retainNamesDays: 365, now,
  });
  await view.start();
  return view;
}

function alert(id: string, startedAt: number): Alert {
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-ret', district: 'east',
    message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
    startedAt, updatedAt: startedAt, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-c-ret'], ackDeadline: startedAt + 5 * MIN, suppressed: false,
  };
}

let seq = 0;
/** Fired, acknowledged with a note, dispatched, resolved with a note, at t. */
function story(id: string, t: number, words: { ack: string; done: string }): AlertEvent[] {
  const a = alert(id, t);
  const acked = { ...a, state: 'acknowledged' as const, acknowledgedAt: t + MIN, acknowledgedBy: 'wang-wei' };
  const dispatched = { ...acked, dispatchedAt: t + 2 * MIN, dispatchedBy: 'operator' };
  const resolved = { ...dispatched, state: 'resolved' as const, resolvedAt: t + 5 * MIN, resolvedBy: 'li-na' };
  return [
    { alertId: id, seq: ++seq, ts: t, type: 'firing', actor: 'system', note: null, alert: a },
    { alertId: id, seq: ++seq, ts: t + MIN, type: 'acknowledged', actor: 'wang-wei', note: words.ack, alert: acked },
    { alertId: id, seq: ++seq, ts: t + 2 * MIN, type: 'dispatched', actor: 'operator', note: null, alert: dispatched },
    { alertId: id, seq: ++seq, ts: t + 5 * MIN, type: 'resolved', actor: 'li-na', note: words.done, alert: resolved },
  ];
}

const steps = (v: ClusterAlerts, id: string) => v.history(id).map((e) => [e.type, e.ts, e.actor, e.note]);
const found = (v: ClusterAlerts, text: string) => v.search({ from: 0, to: NOW + DAY, limit: 50, offset: 0, scope: null, text }).items.map((i) => i.alert.id);
/** Everything the view serves about an alert. */
function served(v: ClusterAlerts, id: string): string {
  return JSON.stringify([
    v.get(id), v.history(id), v.list({ active: false, limit: 100 }).filter((a) => a.id === id), v.all().filter((a) => a.id === id),
    v.search({ from: 0, to: NOW + DAY, limit: 50, offset: 0, scope: null, rule: 'flood' }).items.filter((i) => i.alert.id === id),
    v.replayJournal.replay(0, NOW + DAY, 1000).events.filter((e) => e.alertId === id),
  ]);
}

describe('retention in cluster mode', () => {
  it('serves events older than RETAIN_NAMES_DAYS without actor or note text, newer ones whole, and ages them as time passes', async () => {
    let clock = Date.now();
    const a = await replica('a');
    for (const e of [...story('al-old', OLD, { ack: 'Zhang San let us in', done: 'told Mrs Chen' }), ...story('al-new', RECENT, { ack: 'crew on the way', done: 'drain cleared' })]) a.publish(e);
    await waitFor(() => a.history('al-old').length === 4 && a.history('al-new').length === 4, 'both alerts in the view', 10_000, 20);
    // a replica that reads the stream later, and one whose clock will move on
    const b = await replica('b');
    const c = await replica('c', () => clock);
    await waitFor(() => [b, c].every((v) => v.history('al-new').length === 4), 'the other views caught up', 10_000, 20);

    for (const v of [a, b, c]) {
      expect(steps(v, 'al-old')).toEqual([
        ['firing', OLD, 'system', null],
        ['acknowledged', OLD + MIN, LABEL, NOTE],
        ['dispatched', OLD + 2 * MIN, LABEL, null],
        ['resolved', OLD + 5 * MIN, LABEL, NOTE],
      ]);
      expect(v.get('al-old')).toMatchObject({ state: 'resolved', acknowledgedAt: OLD + MIN, acknowledgedBy: LABEL, dispatchedBy: LABEL, resolvedBy: LABEL });
      expect(served(v, 'al-old')).not.toMatch(NAMES);
      expect(found(v, 'zhang san')).toEqual([]);
      expect(found(v, 'chen')).toEqual([]);
      // the newer alert keeps who and what
      expect(steps(v, 'al-new')).toEqual([
        ['firing', RECENT, 'system', null],
        ['acknowledged', RECENT + MIN, 'wang-wei', 'crew on the way'],
        ['dispatched', RECENT + 2 * MIN, 'operator', null],
        ['resolved', RECENT + 5 * MIN, 'li-na', 'drain cleared'],
      ]);
      expect(v.get('al-new')).toMatchObject({ acknowledgedBy: 'wang-wei', resolvedBy: 'li-na' });
      expect(found(v, 'drain cleared')).toEqual(['al-new']);
      expect(found(v, 'flooding').sort()).toEqual(['al-new', 'al-old']);
    }
    expect(a.replayJournal.replay(OLD - 1, OLD + DAY, 100).events.map((e) => [e.type, e.actor, e.note, e.alert.acknowledgedBy])).toEqual([
      ['firing', 'system', null, null], ['acknowledged', LABEL, NOTE, LABEL], ['dispatched', LABEL, null, LABEL], ['resolved', LABEL, NOTE, LABEL],
    ]);

    // a year on, the newer alert's names go too, in what the same view serves
    clock += 360 * DAY;
    expect(steps(c, 'al-new').map((s) => s.slice(2))).toEqual([['system', null], [LABEL, NOTE], [LABEL, null], [LABEL, NOTE]]);
    expect(served(c, 'al-new')).not.toMatch(NAMES);
    expect(found(c, 'drain cleared')).toEqual([]);
    for (const v of [a, b, c]) v.close();
  }, 60_000);

  it('gives the audit stream RETAIN_AUDIT_DAYS as its max age, also when it was made before with another', async () => {
    const jsm = await jetstreamManager(await nats.connect());
    const start = async (name: string, maxAgeMs?: number) => {
      const log = new AuditLog(join(dir, `${name}.db`));
      const s = new ClusterAudit({ nc: await nats.connect(), audit: log, logger: pino({ level: 'silent' }), replicas: 1, replicaId: name, ...(maxAgeMs ? { maxAgeMs } : {}) });
      await s.start();
      return { log, s };
    };
    const first = await start('before'); // as the earlier version made it: 400 days
    expect((await jsm.streams.info(AUDIT_STREAM)).config.max_age).toBe(400 * DAY * 1_000_000);
    first.log.record({ user: 'operator', action: 'login' });
    await waitFor(() => first.log.list({ limit: 10 }).length === 1, 'the entry taken in', 10_000, 20);
    const second = await start('after', 90 * DAY);
    expect((await jsm.streams.info(AUDIT_STREAM)).config.max_age).toBe(90 * DAY * 1_000_000);
    await waitFor(() => second.log.list({ limit: 10 }).length === 1, 'the stream kept its entries', 10_000, 20);
    for (const r of [first, second]) { await r.s.close(); r.log.close(); }
  }, 60_000);
});
