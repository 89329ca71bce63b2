// Proves the dashboard's alert rules: who may act (canAct), what is "mine", the feed's order,
// incidents grouped with their parts, filters, and each cell's worst colour.
import type { Alert, UserView } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { buildFeed, canAct, canSupervise, compareAlerts, groupIncidents, isMine, isOverdue, matchesFilter, worstByCell } from './alerts';

const T0 = 1_800_000_000_000;
function alert(p: Partial<Alert> & { id: string }): Alert {
  return {
    rule: 'manhole-open', ruleKind: 'threshold', severity: 'orange', key: p.id, devices: ['mh-0001'], grid: 'jiangan-001',
    district: 'jiangan', message: 'Manhole cover open', guidance: 'Barrier', values: {}, state: 'firing', startedAt: T0, firedAt: T0,
    updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, escalation: 0, assignees: [],
    ackDeadline: T0 + 900_000, suppressed: false, ...p,
  };
}
const user = (role: UserView['role'], grids: string[] = [], districts: string[] = []): UserView =>
  ({ username: `${role}-1`, name: role, role, grids, districts });

describe('canAct', () => {
  const a = alert({ id: 'a1' });
  it('never lets a viewer act, and nobody without a session', () => {
    expect(canAct(user('viewer'), a)).toBe(false);
    expect(canAct(null, a)).toBe(false);
  });
  it('lets operators and admins act anywhere', () => {
    expect(canAct(user('operator'), a)).toBe(true);
    expect(canAct(user('admin'), alert({ id: 'x', grid: 'wuchang-050', district: 'wuchang' }))).toBe(true);
  });
  it('lets a grid worker act only in their own cells, a supervisor in their districts', () => {
    expect(canAct(user('gridworker', ['jiangan-001']), a)).toBe(true);
    expect(canAct(user('gridworker', ['jiangan-002']), a)).toBe(false);
    expect(canAct(user('gridworker', [], ['jiangan']), a)).toBe(true);
    expect(canAct(user('gridworker', [], ['wuchang']), a)).toBe(false);
  });
  it('offers nothing on a resolved alert', () => {
    expect(canAct(user('operator'), alert({ id: 'r', state: 'resolved' }))).toBe(false);
  });
  it('lets the grid worker of another cell act on an alert dispatched to them, and nobody on one awaiting verification', () => {
    expect(canAct(user('gridworker', ['wuchang-050']), alert({ id: 'd', assignees: ['gridworker-1'] }))).toBe(true);
    expect(canAct(user('gridworker', ['jiangan-001']), alert({ id: 'h', state: 'handled' }))).toBe(false);
  });
});

describe('canSupervise', () => {
  it('lets operators, admins and the district\'s supervisor dispatch, verify or send back; not the cell\'s grid worker', () => {
    const a = alert({ id: 'a1', state: 'handled' });
    expect(canSupervise(user('operator'), a)).toBe(true);
    expect(canSupervise(user('admin'), a)).toBe(true);
    expect(canSupervise(user('gridworker', [], ['jiangan']), a)).toBe(true);
    expect(canSupervise(user('gridworker', [], ['wuchang']), a)).toBe(false);
    expect(canSupervise(user('gridworker', ['jiangan-001']), a)).toBe(false);
    expect(canSupervise(user('viewer'), a)).toBe(false);
    expect(canSupervise(user('operator'), alert({ id: 'r', state: 'resolved' }))).toBe(false);
  });
});

describe('isMine', () => {
  it('counts own cells, own districts and alerts naming the user', () => {
    expect(isMine(user('gridworker', ['jiangan-001']), alert({ id: 'a' }))).toBe(true);
    expect(isMine(user('gridworker', ['jiangan-002']), alert({ id: 'a' }))).toBe(false);
    expect(isMine(user('operator'), alert({ id: 'a', assignees: ['operator-1'] }))).toBe(true);
  });
});

describe('order and grouping', () => {
  it('puts the most severe first, then firing before acknowledged, then the newest; resolved last', () => {
    const list = [
      alert({ id: 'blue-new', severity: 'blue', firedAt: T0 + 50 }),
      alert({ id: 'red-old', severity: 'red', firedAt: T0 }),
      alert({ id: 'red-new', severity: 'red', firedAt: T0 + 10 }),
      alert({ id: 'red-acked', severity: 'red', state: 'acknowledged', firedAt: T0 + 20 }),
      alert({ id: 'red-done', severity: 'red', state: 'resolved', firedAt: T0 + 30 }),
    ];
    expect(list.sort(compareAlerts).map((a) => a.id)).toEqual(['red-new', 'red-old', 'red-acked', 'blue-new', 'red-done']);
  });
  it('nests the parts of an incident under it and hides them from the top level', () => {
    const incident = alert({ id: 'inc', severity: 'red', ruleKind: 'composite', parts: ['p1', 'p2'], devices: [] });
    const p1 = alert({ id: 'p1', partOf: 'inc', devices: ['wl-0001'] });
    const p2 = alert({ id: 'p2', partOf: 'inc', severity: 'yellow', devices: ['cam-0001'] });
    const lone = alert({ id: 'lone', severity: 'blue' });
    const feed = groupIncidents([p2, lone, p1, incident]);
    expect(feed.map((e) => e.alert.id)).toEqual(['inc', 'lone']);
    expect(feed[0]!.parts.map((p) => p.id)).toEqual(['p1', 'p2']);
    // the filter looks into the parts: the incident matches a camera filter through p2
    const kinds: Record<string, 'water_level' | 'camera'> = { 'wl-0001': 'water_level', 'cam-0001': 'camera' };
    const f = { district: null, cell: null, severity: null, kind: 'camera' as const };
    expect(matchesFilter(feed[0]!, f, (d) => kinds[d])).toBe(true);
    expect(matchesFilter(feed[1]!, f, (d) => kinds[d])).toBe(false);
  });
  it('shows a part on its own when its incident is not in the list', () => {
    expect(groupIncidents([alert({ id: 'p1', partOf: 'gone' })]).map((e) => e.alert.id)).toEqual(['p1']);
  });
  it("builds a grid worker's feed from their cells only", () => {
    const feed = buildFeed([alert({ id: 'a' }), alert({ id: 'b', grid: 'wuchang-001', district: 'wuchang' })], {
      filter: { district: null, cell: null, severity: null, kind: null }, kindOf: () => undefined, mineOf: user('gridworker', ['wuchang-001']),
    });
    expect(feed.map((e) => e.alert.id)).toEqual(['b']);
  });
});

describe('worstByCell and isOverdue', () => {
  it('colours a cell by its worst live, unsuppressed alert', () => {
    const m = worstByCell([
      alert({ id: '1', severity: 'yellow' }),
      alert({ id: '2', severity: 'red', state: 'acknowledged' }),
      alert({ id: '3', severity: 'red', grid: 'c2', suppressed: true }),
      alert({ id: '4', severity: 'orange', grid: 'c3', state: 'pending' }),
      alert({ id: '5', severity: 'orange', grid: 'c4', state: 'resolved' }),
    ]);
    expect([...m]).toEqual([['jiangan-001', 'red']]);
  });
  it('is overdue only while firing past the deadline', () => {
    expect(isOverdue(alert({ id: 'a' }), T0 + 900_001)).toBe(true);
    expect(isOverdue(alert({ id: 'a', state: 'acknowledged' }), T0 + 900_001)).toBe(false);
    expect(isOverdue(alert({ id: 'a' }), T0 + 1000)).toBe(false);
  });
});
