// Proves the replay's pure logic: frames and stepping land on frame ends, playing is speed × wall time
// and stops at the end, each cell's status is its last change, the alerts at a moment are the open ones
// changed by every transition so far (a resolved one lingers a minute), and the KPIs follow.
import type { Alert, ReplayAlertEvent, ReplayResponse } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import {
  advance, alertsAt, cellsAt, cursorAt, eventsBy, frameAt, frameEnd, frameState, moments, nextMoment, prevMoment,
  rangeProblem, recentEvents, type ReplayCursor,
} from './replay-state';
import { formatStep, fromLocalInput, toLocalInput } from './replay-time';

const S = 1000;
const FROM = 1_000_000 * S;

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'r', ruleKind: 'threshold', severity: 'yellow', key: id, devices: [], grid: 'u', district: 'd', message: '', guidance: '',
    values: {}, state: 'firing', startedAt: FROM, updatedAt: FROM, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: [], ackDeadline: FROM + 100 * S, suppressed: false, ...over,
  };
}
const ev = (ts: number, type: ReplayAlertEvent['type'], a: Alert, seq = ts): ReplayAlertEvent => ({ seq, ts, type, actor: 'system', note: null, alert: a });

/** 10 frames of 10 s. Cell u: ok, then warn from frame 3, offline from 8. Alerts: Y open at the start; O fires at 25 s (acknowledge by 70 s); R fires and is acknowledged at 41 s; Y resolved at 60 s. */
const replay: ReplayResponse = {
  from: FROM, to: FROM + 95 * S, step: 10 * S, buckets: 10, sensors: 4,
  cells: { u: [[0, 'ok', 2, 2, 0, 0], [3, 'warn', 2, 2, 0, 1], [8, 'offline', 2, 0, 0, 0]], v: [[0, 'none', 0, 0, 0, 0]] },
  online: [4, 4, 4, 4, 4, 4, 4, 4, 2, 2],
  readings: [40, 40, 40, 40, 40, 40, 40, 40, 20, 0],
  alerts: [alert('Y')],
  events: [
    ev(FROM + 25 * S, 'firing', alert('O', { severity: 'orange', startedAt: FROM + 25 * S, ackDeadline: FROM + 70 * S })),
    ev(FROM + 41 * S, 'firing', alert('R', { severity: 'red', startedAt: FROM + 41 * S })),
    ev(FROM + 41 * S, 'acknowledged', alert('R', { severity: 'red', startedAt: FROM + 41 * S, state: 'acknowledged', acknowledgedBy: 'operator' })),
    ev(FROM + 60 * S, 'resolved', alert('Y', { state: 'resolved', resolvedAt: FROM + 60 * S, updatedAt: FROM + 60 * S })),
  ],
};

describe('frames and the scrubber', () => {
  it('puts a moment in the frame whose end it reaches, the last frame ending at `to`', () => {
    expect(frameAt(replay, FROM)).toBe(0);
    expect(frameAt(replay, FROM + 10 * S)).toBe(0);
    expect(frameAt(replay, FROM + 10 * S + 1)).toBe(1);
    expect(frameAt(replay, FROM + 999 * S)).toBe(9);
    expect(frameEnd(replay, 0)).toBe(FROM + 10 * S);
    expect(frameEnd(replay, 9)).toBe(FROM + 95 * S);
  });

  it('steps to every moment something shown changes: frame ends, and each transition (one at a time within a millisecond)', () => {
    const all = moments(replay);
    const at = (s: number, n: number): ReplayCursor => ({ t: FROM + s * S, n });
    expect(all).toEqual([
      at(0, 0), at(10, 0), at(20, 0), at(25, 1), at(30, 1), at(40, 1), at(41, 2), at(41, 3), at(50, 3), at(60, 4), at(70, 4), at(80, 4), at(90, 4), at(95, 4),
    ]);
    expect(nextMoment(all, at(0, 0))).toEqual(at(10, 0));
    expect(nextMoment(all, cursorAt(replay, FROM + 13 * S))).toEqual(at(20, 0)); // from the middle of a frame
    expect(nextMoment(all, at(41, 2))).toEqual(at(41, 3)); // R's two transitions of the same millisecond, one at a time
    expect(nextMoment(all, at(95, 4))).toEqual(at(95, 4)); // the end stays
    expect(prevMoment(all, at(41, 3))).toEqual(at(41, 2));
    expect(prevMoment(all, at(41, 2))).toEqual(at(40, 1));
    expect(prevMoment(all, cursorAt(replay, FROM + 13 * S))).toEqual(at(10, 0));
    expect(prevMoment(all, at(0, 0))).toEqual(at(0, 0));
    // stepping forward from the start visits every moment, in order
    const seen = [all[0]!];
    while (nextMoment(all, seen[seen.length - 1]!) !== seen[seen.length - 1]) seen.push(nextMoment(all, seen[seen.length - 1]!));
    expect(seen).toEqual(all);
  });

  it('plays at speed × wall time and never past the end', () => {
    expect(advance(replay, FROM, 500, 1)).toBe(FROM + 500);
    expect(advance(replay, FROM, 500, 60)).toBe(FROM + 30 * S);
    expect(advance(replay, FROM + 90 * S, 1000, 60)).toBe(FROM + 95 * S);
  });

  it('refuses ranges the server would refuse, saying why', () => {
    const now = FROM + 100 * 3_600 * S;
    expect(rangeProblem(FROM, FROM + S, now, 86_400 * S)).toBeNull();
    expect(rangeProblem(FROM + S, FROM, now, 86_400 * S)).toBe('order');
    expect(rangeProblem(now + S, now + 2 * S, now, 86_400 * S)).toBe('future');
    expect(rangeProblem(FROM, FROM + 86_401 * S, now, 86_400 * S)).toBe('tooLong');
    expect(rangeProblem(Number.NaN, FROM, now, 86_400 * S)).toBe('invalid');
    // a `to` in the future counts up to now only
    expect(rangeProblem(now - 86_000 * S, now + 3_600 * S, now, 86_400 * S)).toBeNull();
  });
});

describe('the city at a moment', () => {
  it('gives each cell its last change at or before the frame', () => {
    expect(cellsAt(replay, 0).get('u')).toEqual({ condition: 'ok', devices: 2, online: 2, alarm: 0, warn: 0 });
    expect(cellsAt(replay, 2).get('u')!.condition).toBe('ok');
    expect(cellsAt(replay, 3).get('u')!.condition).toBe('warn');
    expect(cellsAt(replay, 7).get('u')!.condition).toBe('warn');
    expect(cellsAt(replay, 9).get('u')!.condition).toBe('offline');
    expect(cellsAt(replay, 5).get('v')!.condition).toBe('none');
  });

  it('applies every transition up to the moment (inclusive) to the alerts open at the start', () => {
    const ids = (t: number) => alertsAt(replay, cursorAt(replay, t)).map((a) => a.id).sort();
    expect(ids(FROM)).toEqual(['Y']);
    expect(ids(FROM + 25 * S - 1)).toEqual(['Y']);
    expect(ids(FROM + 25 * S)).toEqual(['O', 'Y']);
    expect(ids(FROM + 41 * S)).toEqual(['O', 'R', 'Y']);
    // resolved at 60 s: still listed (resolved) for a minute, as live, then gone
    expect(alertsAt(replay, cursorAt(replay, FROM + 90 * S)).find((a) => a.id === 'Y')!.state).toBe('resolved');
    // between R's two transitions of 41 s: fired, not yet acknowledged
    expect(alertsAt(replay, { t: FROM + 41 * S, n: 2 }).find((a) => a.id === 'R')!.state).toBe('firing');
    expect(alertsAt(replay, { t: FROM + 41 * S, n: 3 }).find((a) => a.id === 'R')!.state).toBe('acknowledged');
    expect(ids(FROM + 121 * S)).toEqual(['O', 'R']);
    expect(eventsBy(replay, FROM + 41 * S)).toBe(3);
    expect(recentEvents(replay, cursorAt(replay, FROM + 95 * S), 2).map((e) => `${e.alert.id}:${e.type}`)).toEqual(['Y:resolved', 'R:acknowledged']);
  });

  it('colours the map by the worst live alert of each cell, and counts the KPIs of the frame', () => {
    const colour = (t: number) => frameState(replay, cursorAt(replay, t)).map.alertColour.get('u');
    expect([colour(FROM + 10 * S), colour(FROM + 30 * S), colour(FROM + 50 * S)]).toEqual(['yellow', 'orange', 'red']);
    const f = frameState(replay, cursorAt(replay, FROM + 90 * S));
    expect(f.index).toBe(8);
    expect(f.kpis).toEqual({
      online: { online: 2, total: 4 },
      alerts: { red: 1, orange: 1, yellow: 0, blue: 0 }, // Y resolved
      ingestPerS: 2,
      overdue: 1, // O, firing past its deadline at 70 s
      cells: { alarm: 0, warn: 0 }, // u offline
    });
    expect(frameState(replay, cursorAt(replay, FROM + 70 * S)).kpis.overdue).toBe(0);
    expect(frameState(replay, cursorAt(replay, FROM + 40 * S)).kpis.cells).toEqual({ alarm: 0, warn: 1 });
  });
});

it('reads and writes datetime-local values in the browser\'s time, to the second', () => {
  const t = new Date(2026, 6, 1, 9, 5, 7).getTime();
  expect(toLocalInput(t)).toBe('2026-07-01T09:05:07');
  expect(fromLocalInput('2026-07-01T09:05:07')).toBe(t);
  expect(fromLocalInput('2026-07-01T09:05')).toBe(t - 7000);
  expect(fromLocalInput('')).toBeNaN();
  expect(fromLocalInput('yesterday')).toBeNaN();
});

it('names a frame\'s width in the user\'s language', () => {
  expect(formatStep(10_000, 'en')).toBe('10 sec');
  expect(formatStep(120_000, 'en')).toBe('2 min');
  expect(formatStep(3_600_000, 'zh-CN')).toMatch(/^1\s?小时$/);
});
