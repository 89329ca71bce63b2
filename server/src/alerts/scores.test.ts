// Proves the 考核 scores: counts by colour per cell/district, median and p90 response times, and the
// share acknowledged within the colour's deadline (alerts that cleared by themselves in time are not judged).
import { describe, expect, it } from 'vitest';
import type { Alert, Severity } from '@citygrid/contract';
import { ScoreSource, computeScores } from './scores.js';

const MIN = 60_000;
const DEADLINES: Record<Severity, number> = { red: 5 * MIN, orange: 15 * MIN, yellow: 30 * MIN, blue: 120 * MIN };
const deadline = (s: Severity) => DEADLINES[s];
const RESOLVE: Record<Severity, number> = { red: 120 * MIN, orange: 480 * MIN, yellow: 1440 * MIN, blue: 4320 * MIN };
const resolveDeadline = (s: Severity) => RESOLVE[s];
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
    const [g1, g2] = computeScores(alerts, 'grid', deadline, 60 * MIN, resolveDeadline);
    expect(g1).toMatchObject({
      id: 'g1', alerts: 4, bySeverity: { red: 2, orange: 1, yellow: 1, blue: 0 }, acknowledged: 2, resolved: 3,
      ackMedianS: 300, ackP90S: 444, resolveMedianS: 600, escalated: 1,
    });
    expect(g1!.ackedInTime).toBeCloseTo(1 / 3, 3);
    expect(g2).toMatchObject({ id: 'g2', alerts: 1, ackMedianS: 60, resolveMedianS: 240, ackedInTime: 1 });
  });

  it('scores each district, and gives nulls when nothing was acknowledged', () => {
    const scores = computeScores([alert({ severity: 'blue', district: 'north', resolvedAt: MIN, resolvedBy: 'system' })], 'district', deadline, MIN, resolveDeadline);
    expect(scores).toEqual([expect.objectContaining({ id: 'north', alerts: 1, ackMedianS: null, ackP90S: null, ackedInTime: null })]);
    expect(computeScores(alerts, 'district', deadline, 60 * MIN, resolveDeadline).map((s) => s.id)).toEqual(['east', 'west']);
  });

  it('counts each fired alert within or past its resolve deadline, by when it was handled', () => {
    const H = 60 * MIN;
    const list = [
      alert({ severity: 'red', firedAt: 0, resolveDeadline: 2 * H, handledAt: H, handledBy: 'gw', state: 'handled' }), // handled in time, awaiting verification
      alert({ severity: 'red', firedAt: 0, resolveDeadline: 2 * H, handledAt: 3 * H, resolvedAt: 4 * H, resolvedBy: 'sup' }), // handled late, verified later
      alert({ severity: 'orange', firedAt: 0, resolveDeadline: 8 * H, state: 'acknowledged', acknowledgedAt: MIN }), // open, inside its deadline: not judged
      alert({ severity: 'red', firedAt: 0, resolveDeadline: 2 * H, state: 'firing' }), // open past its deadline: late
      alert({ severity: 'red', firedAt: 0, resolveDeadline: 5 * H, handledAt: 4 * H, resolvedAt: 4 * H, resolvedBy: 'sup', dispatchedAt: 3 * H }), // dispatched: its deadline restarted
      alert({ severity: 'yellow', firedAt: 0, resolvedAt: H, resolvedBy: 'system' }), // cleared by itself in time: not judged
      alert({ severity: 'red', firedAt: 0, resolvedAt: 30 * MIN, resolvedBy: 'gw' }), // recorded before resolve deadlines: from when it fired, 2 h
      alert({ severity: 'red', state: 'resolved', resolvedAt: MIN, resolvedBy: 'system' }), // never fired
    ];
    const [g1] = computeScores(list, 'grid', deadline, 6 * H, resolveDeadline);
    expect(g1).toMatchObject({ inResolveDeadline: 3, pastResolveDeadline: 2, resolvedInTime: 0.6 });
    expect(computeScores([alert({ severity: 'blue', resolvedAt: MIN, resolvedBy: 'system' })], 'grid', deadline, H, resolveDeadline)[0])
      .toMatchObject({ inResolveDeadline: 0, pastResolveDeadline: 0, resolvedInTime: null });
  });
});

describe('ScoreSource', () => {
  // the alert log (final states) and the manager's live alerts, as GET /api/scores reads them
  const logged = [alert({ id: 'old-1', startedAt: 10 * MIN }), alert({ id: 'old-2', startedAt: 20 * MIN }), alert({ id: 'changed', startedAt: 30 * MIN, state: 'firing' })];
  function source(live: Alert[]) {
    let t = 0;
    let scans = 0;
    const s = new ScoreSource({ scan: () => { scans++; return logged; }, live: () => live, ttlMs: 60_000, now: () => t });
    return { s, scans: () => scans, at: (ms: number) => { t = ms; } };
  }

  it('reads the alert log once per minute however often it is asked', () => {
    const { s, scans, at } = source([]);
    for (let i = 0; i < 100; i++) expect(s.startedBetween(0, 60 * MIN).map((a) => a.id).sort()).toEqual(['changed', 'old-1', 'old-2']);
    expect(scans()).toBe(1);
    at(59_999);
    s.startedBetween(0, 60 * MIN);
    expect(scans()).toBe(1);
    at(60_000);
    s.startedBetween(0, 60 * MIN);
    expect(scans()).toBe(2); // the control: it does read the log again once the minute is over
  });

  it('overlays the live alerts, so a change since the last read counts at once', () => {
    const live = [alert({ id: 'changed', startedAt: 30 * MIN, state: 'acknowledged', acknowledgedAt: 31 * MIN }), alert({ id: 'new', startedAt: 40 * MIN })];
    const { s } = source(live);
    const got = s.startedBetween(0, 60 * MIN);
    expect(got.map((a) => a.id).sort()).toEqual(['changed', 'new', 'old-1', 'old-2']);
    expect(got.find((a) => a.id === 'changed')).toMatchObject({ state: 'acknowledged', acknowledgedAt: 31 * MIN });
  });

  it('keeps alerts started within [from, to)', () => {
    const { s } = source([]);
    expect(s.startedBetween(10 * MIN, 30 * MIN).map((a) => a.id).sort()).toEqual(['old-1', 'old-2']);
  });
});
