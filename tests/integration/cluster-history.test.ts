// Cluster mode's alert history (ClusterAlerts.search over the alert stream, against a real nats-server):
// a replica finds the alerts another replica appended, by the same filters, scope and keyset as npm
// start's alerts.db, with the notes of their events searched and counted.
import { expect, it } from 'vitest';
import { pino } from 'pino';
import type { Alert, AlertEvent } from '@citygrid/contract';
import { ClusterAlerts } from '../../server/src/bus/cluster-alerts.js';
import type { HistoryQuery } from '../../server/src/alerts/history-search.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();
const MIN = 60_000;
const T0 = Date.now() - 60 * MIN;

async function replica(name: string): Promise<ClusterAlerts> {
  const view = new ClusterAlerts({ nc: await nats.connect(), logger: pino({ level: 'silent' }), replicas: 1, maxAgeMs: 3_600_000, replicaId: name, onMaintenance: () => undefined, owns: () => true });
  await view.start();
  return view;
}

function alert(id: string, minute: number, over: Partial<Alert>): Alert {
  const startedAt = T0 + minute * MIN;
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: id, devices: ['wl-1'], grid: 'c-a', district: 'east', message: 'Flooding: level 40 cm', guidance: 'Close it.',
    values: {}, state: 'firing', startedAt, updatedAt: startedAt, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-a'], ackDeadline: startedAt + 5 * MIN, suppressed: false, ...over,
  };
}

it('finds the alerts another replica appended, by filter, scope and keyset, with their notes', async () => {
  const owner = await replica('owner');
  const reader = await replica('reader');
  let seq = 0;
  const append = (a: Alert, type: AlertEvent['type'], actor: string, note: string | null) => owner.publish({ alertId: a.id, seq: ++seq, ts: a.updatedAt, type, actor, note, alert: a });
  const c1 = alert('c1', 1, {});
  append(c1, 'firing', 'system', null);
  append({ ...c1, state: 'resolved', resolvedBy: 'gw-a', updatedAt: T0 + 3 * MIN }, 'resolved', 'gw-a', '闸门已关闭');
  append(alert('c2', 2, { severity: 'blue', grid: 'c-b', district: 'west', assignees: ['gw-b'], ruleKind: 'absence', rule: 'silent' }), 'firing', 'system', null);
  append(alert('c3', 4, { grid: 'c-b', district: 'west', assignees: ['gw-a'] }), 'firing', 'system', null); // assigned to gw-a elsewhere
  append(alert('c0', -120, {}), 'firing', 'system', null); // before the range
  await waitFor(() => ['c0', 'c1', 'c2', 'c3'].every((id) => reader.get(id)) && reader.get('c1')!.state === 'resolved', 'the reader\'s view of the stream', 15_000, 20);

  const base: HistoryQuery = { from: T0, to: T0 + 60 * MIN, scope: null, offset: 0, limit: 50 };
  const ids = (q: Partial<HistoryQuery>) => reader.search({ ...base, ...q }).items.map((i) => i.alert.id);
  expect(reader.search(base).total).toBe(3);
  expect(ids({})).toEqual(['c3', 'c2', 'c1']);
  expect(ids({ district: 'west' })).toEqual(['c3', 'c2']);
  expect(ids({ severity: 'blue' })).toEqual(['c2']);
  expect(ids({ ruleKind: 'absence' })).toEqual(['c2']);
  expect(ids({ state: 'resolved' })).toEqual(['c1']);
  expect(ids({ assignee: 'gw-b' })).toEqual(['c2']);
  expect(ids({ text: '闸门' })).toEqual(['c1']);
  expect(ids({ scope: { grids: ['c-a'], districts: [], username: 'gw-a' } })).toEqual(['c3', 'c1']);
  expect(ids({ limit: 1, offset: 1 })).toEqual(['c2']);
  expect(ids({ after: { startedAt: T0 + 2 * MIN, id: 'c2' }, count: false })).toEqual(['c1']);
  expect(reader.search({ ...base, rule: 'flood', state: 'resolved' }).items[0]).toMatchObject({ notes: 1, lastNote: { actor: 'gw-a', note: '闸门已关闭' } });
  owner.close();
  reader.close();
}, 60_000);
