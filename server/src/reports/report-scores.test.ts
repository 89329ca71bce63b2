// Proves residents' reports in the scores: closed reports counted per cell or district with the median
// time to close, spam left out, a row made for a place with closed reports but no alerts (the shape
// computeScores writes), and the rows sorted as computeScores sorts them.
import { describe, expect, it } from 'vitest';
import type { Alert, Severity } from '@citygrid/contract';
import { computeScores } from '../alerts/scores.js';
import { withReportScores, type ScoredReport } from './report-scores.js';

const MIN = 60_000;
const deadline = (_s: Severity) => 30 * MIN;

function alert(over: Partial<Alert>): Alert {
  return {
    id: `al-${Math.random()}`, rule: 'r', ruleKind: 'reports', severity: 'yellow', key: 'k', devices: [], grid: 'g1', district: 'east',
    message: '', guidance: '', values: {}, state: 'resolved', startedAt: 0, updatedAt: 0, acknowledgedAt: 2 * MIN, acknowledgedBy: 'gw',
    resolvedAt: 10 * MIN, resolvedBy: 'gw', escalation: 0, assignees: [], ackDeadline: 0, suppressed: false, ...over,
  };
}

const closed = (cell: string, district: string, filedAt: number, closedAt: number, status: ScoredReport['status'] = 'closed'): ScoredReport =>
  ({ cell, district, filedAt, closedAt, status });

describe('withReportScores', () => {
  const alerts = [alert({ grid: 'g1', district: 'east' }), alert({ grid: 'g1', district: 'east' }), alert({ grid: 'g2', district: 'east' })];
  const reports = [
    closed('g1', 'east', 0, 4 * MIN),
    closed('g1', 'east', 0, 10 * MIN),
    closed('g1', 'east', MIN, 2 * MIN), // 1 min
    closed('g1', 'east', 0, 99 * MIN, 'spam'), // marked as spam after its alert closed: not counted
    closed('g3', 'west', 0, 6 * MIN), // no alerts in g3
    closed('g3', 'west', 0, 9 * MIN),
  ];

  it('counts the closed reports of each cell and their median time to close; cells without reports get 0 and null', () => {
    const rows = withReportScores(computeScores(alerts, 'grid', deadline, 60 * MIN, deadline), reports, 'grid');
    expect(rows.map((r) => [r.id, r.reportsClosed, r.reportCloseMedianMs])).toEqual([
      ['g1', 3, 4 * MIN], // 1, 4, 10 min
      ['g2', 0, null],
      ['g3', 2, 7.5 * MIN], // even count: the mean of the middle two
    ]);
    expect(rows[0]).toMatchObject({ alerts: 2, acknowledged: 2, resolved: 2 }); // the alert fields stay
  });

  it('gives a cell with closed reports but no alerts a row of its own, shaped as computeScores writes one', () => {
    const rows = withReportScores([], reports, 'grid');
    const [g1] = computeScores([alert({ grid: 'g9' })], 'grid', deadline, 60 * MIN, deadline);
    expect(rows.map((r) => r.id)).toEqual(['g1', 'g3']);
    expect(Object.keys(rows[1]!).sort()).toEqual([...Object.keys(g1!), 'reportsClosed', 'reportCloseMedianMs'].sort());
    expect(rows[1]).toEqual({
      id: 'g3', alerts: 0, bySeverity: { red: 0, orange: 0, yellow: 0, blue: 0 }, acknowledged: 0, resolved: 0,
      ackMedianS: null, ackP90S: null, resolveMedianS: null, resolveP90S: null, ackedInTime: null, escalated: 0,
      inResolveDeadline: 0, pastResolveDeadline: 0, resolvedInTime: null, reportsClosed: 2, reportCloseMedianMs: 7.5 * MIN,
    });
  });

  it('groups by district', () => {
    const rows = withReportScores(computeScores(alerts, 'district', deadline, 60 * MIN, deadline), reports, 'district');
    expect(rows.map((r) => [r.id, r.alerts, r.reportsClosed, r.reportCloseMedianMs])).toEqual([['east', 3, 3, 4 * MIN], ['west', 0, 2, 7.5 * MIN]]);
  });

  it('leaves the rows as they were when no report closed, but for the two fields', () => {
    const scores = computeScores(alerts, 'grid', deadline, 60 * MIN, deadline);
    const before = structuredClone(scores);
    const rows = withReportScores(scores, [closed('g1', 'east', 0, MIN, 'spam')], 'grid');
    expect(scores).toEqual(before); // not changed in place
    expect(rows).toEqual(scores.map((s) => ({ ...s, reportsClosed: 0, reportCloseMedianMs: null })));
  });

  it('keeps the sort of computeScores: most alerts first, then by id', () => {
    const rows = withReportScores([], [closed('b', 'x', 0, MIN), closed('a', 'x', 0, MIN), closed('c', 'x', 0, MIN)], 'grid');
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
