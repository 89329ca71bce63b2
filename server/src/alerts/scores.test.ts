// Proves the 考核 scores: counts by colour per cell/district, median and p90 response times, and the
// share acknowledged within the colour's deadline (alerts that cleared by themselves in time are not judged).
import { describe, expect, it } from 'vitest';
import type { Alert, Severity } from '@citygrid/contract';
import { computeScores } from './scores.js';

const MIN = 60_000;
const DEADLINES: Record<Severity, number> = { red: 5 * MIN, orange: 15 * MIN, yellow: 30 * MIN, blue: 120 * MIN };
const deadline = (s: Severity) => DEADLINES[s];
let n = 0;

function alert(over: Partial<Alert>): Alert {
  return {
    id: `al-${n++}`, rule: 'r', ruleKind: 'threshold', severity: 'red', key: 'd', devices: ['d'], grid: 'g1', district: 'east',
    message: '', guidance: '', values: {}, state: 'resolved', startedAt: 0, updatedAt: 0, acknowledgedAt: null, acknowledgedBy: null,
    resolvedAt: null, resolvedBy: null, escalation: 0, assignees: [], ackDeadline: 0, suppressed: false, ...over,
  };
}

describe('computeScores', () => {
  const alerts = [
    alert({ severity: 'red', acknowledgedAt: 2 * MIN, resolvedAt: 10 * MIN, resolvedBy: 'gw-g1' }), // in time
    alert({ severity: 'red', acknowledgedAt: 8 * MIN, resolvedAt: 20 * MIN, resolvedBy: 'gw-g1', escalation: 1 }), // late
    alert({ severity: 'orange', resolvedAt: 3 * MIN, resolvedBy: 'system' }), // cleared by itself before its 15 min: not judged
    alert({ severity: 'yellow', state: 'firing', startedAt: 0 }), // open, past its 30 min at now=60 min: judged, missed
    alert({ severity: 'blue', grid: 'g2', district: 'west', acknowledgedAt: 1 * MIN, resolvedAt: 4 * MIN, resolvedBy: 'gw-g2' }),
    alert({ severity: 'red', grid: 'g1', partOf: 'al-x' }), // a part of an incident counts under the incident only
  ];

  it('scores each grid cell', () => {
    const [g1, g2] = computeScores(alerts, 'grid', deadline, 60 * MIN);
    expect(g1).toMatchObject({
      id: 'g1', alerts: 4, bySeverity: { red: 2, orange: 1, yellow: 1, blue: 0 }, acknowledged: 2, resolved: 3,
      ackMedianS: 300, ackP90S: 444, resolveMedianS: 600, escalated: 1,
    });
    expect(g1!.ackedInTime).toBeCloseTo(1 / 3, 3);
    expect(g2).toMatchObject({ id: 'g2', alerts: 1, ackMedianS: 60, resolveMedianS: 240, ackedInTime: 1 });
  });

  it('scores each district, and gives nulls when nothing was acknowledged', () => {
    const scores = computeScores([alert({ severity: 'blue', district: 'north', resolvedAt: MIN, resolvedBy: 'system' })], 'district', deadline, MIN);
    expect(scores).toEqual([expect.objectContaining({ id: 'north', alerts: 1, ackMedianS: null, ackP90S: null, ackedInTime: null })]);
    expect(computeScores(alerts, 'district', deadline, 60 * MIN).map((s) => s.id)).toEqual(['east', 'west']);
  });
});
