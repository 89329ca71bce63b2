// The `reports` rule kind in the alert manager (issue 17): N residents' reports of a category in a cell
// within a window raise one alert that holds until a person closes it; a report where an alert of its
// kind is open joins that alert instead; enough reports joining a sensor alert raise its colour; after
// a person closes it, counting starts again from nothing (no re-raise from the reports it already took).
import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf, type Alert, type ReportCategory } from '@citygrid/contract';
import type { ReportObservation } from '../rules/types.js';
import { MIN, SEC, T0, cleanupDirs, cond, floodRule, harness, rule } from './test-fixtures.js';

afterEach(() => cleanupDirs());

const waterReports = (extra: Record<string, unknown> = {}) => rule({
  id: 'water-reports', kind: 'reports', category: 'waterlogging', count: 3, within: '30m', severity: 'yellow', ...extra,
});
let n = 0;
const report = (grid: string, ts: number, category: ReportCategory = 'waterlogging'): ReportObservation =>
  ({ type: 'report', receipt: `R${String(++n).padStart(3, '0')}-TEST`, category, grid, district: grid === 'c-c' ? 'west' : 'east', ts });

describe('AlertManager: the reports rule', () => {
  it('raises one alert at the third report in a cell within 30 min, and the three reports join it', () => {
    const h = harness({ rules: [floodRule(), waterReports()] });
    const m = h.manager;
    const r1 = report('c-a', T0);
    expect(m.observeReport(r1, T0)).toBeNull();
    expect(m.observeReport(report('c-b', T0 + MIN), T0 + MIN)).toBeNull(); // another cell
    expect(m.observeReport(report('c-a', T0 + MIN, 'noise'), T0 + MIN)).toBeNull(); // another category
    const r2 = report('c-a', T0 + 10 * MIN);
    expect(m.observeReport(r2, T0 + 10 * MIN)).toBeNull();
    const r3 = report('c-a', T0 + 29 * MIN);
    const a = m.observeReport(r3, T0 + 29 * MIN);
    expect(a).toMatchObject({ rule: 'water-reports', ruleKind: 'reports', grid: 'c-a', severity: 'yellow', state: 'firing', assignees: ['gw-c-a'] });
    expect(a!.reports).toEqual([r1.receipt, r2.receipt, r3.receipt]);
    expect(a!.text?.detail).toEqual({ key: 'reports.active', params: { category: 'waterlogging', count: 3, window_ms: 30 * MIN } });
    expect(a!.message).toBe('Residents report: waterlogging: 3 residents\' reports of waterlogging in this cell within 30 min');
    expect(m.list({ active: true, limit: 10 })).toHaveLength(1);
  });

  it('does not count reports older than the window', () => {
    const h = harness({ rules: [waterReports()] });
    h.manager.observeReport(report('c-a', T0), T0);
    h.manager.observeReport(report('c-a', T0 + 5 * MIN), T0 + 5 * MIN);
    expect(h.manager.observeReport(report('c-a', T0 + 31 * MIN), T0 + 31 * MIN)).toBeNull(); // the first has left the window
    expect(h.manager.observeReport(report('c-a', T0 + 32 * MIN), T0 + 32 * MIN)).not.toBeNull();
  });

  it('holds the alert until a person closes it (ticks, a restart), then counts again from nothing', () => {
    let h = harness({ rules: [waterReports()] });
    for (let i = 0; i < 3; i++) h.manager.observeReport(report('c-a', T0 + i * MIN), T0 + i * MIN);
    const [a] = h.manager.list({ active: true, limit: 10 });
    // hours of ticks, readings in the cell and a restart: nobody but a person closes it
    for (let t = T0 + 3 * MIN; t < T0 + 3 * 60 * MIN; t += 10 * SEC) h.manager.tick(t);
    h = h.restart(T0 + 3 * 60 * MIN);
    h.deliver('water-reports', cond(h.city, 'wl-a', 'clear'), T0 + 3 * 60 * MIN); // an observation in its cell
    for (let t = T0 + 3 * 60 * MIN; t < T0 + 4 * 60 * MIN; t += 10 * SEC) h.manager.tick(t);
    expect(h.manager.get(a!.id)).toMatchObject({ state: 'firing' });

    // a fourth report joins the open alert instead of counting
    const r4 = report('c-a', T0 + 4 * 60 * MIN);
    expect(h.manager.observeReport(r4, T0 + 4 * 60 * MIN)?.id).toBe(a!.id);
    expect(h.manager.get(a!.id)!.reports).toHaveLength(4);

    h.manager.resolve(a!.id, 'gw-c-a', 'pumped out, drain cleared', T0 + 4 * 60 * MIN + MIN);
    for (let t = T0 + 4 * 60 * MIN + MIN; t < T0 + 4 * 60 * MIN + 20 * MIN; t += 10 * SEC) h.manager.tick(t);
    expect(h.manager.list({ active: true, limit: 10 })).toEqual([]); // not raised again from the reports it took
    // two new reports are not enough; the third raises a new alert
    const t1 = T0 + 5 * 60 * MIN;
    expect(h.manager.observeReport(report('c-a', t1), t1)).toBeNull();
    expect(h.manager.observeReport(report('c-a', t1 + MIN), t1 + MIN)).toBeNull();
    const again = h.manager.observeReport(report('c-a', t1 + 2 * MIN), t1 + 2 * MIN);
    expect(again?.id).not.toBe(a!.id);
    expect(again?.reports).toHaveLength(3);
  });

  it('joins a report to an open sensor alert of its kind in its cell, and raises that alert\'s colour when enough join', () => {
    const h = harness({ rules: [floodRule('orange'), waterReports({ sensor_rules: ['flood'], corroborated_severity: 'red' })] });
    h.deliver('flood', cond(h.city, 'wl-a', 'active', { level_cm: 36 }), T0);
    const [flood] = h.manager.list({ active: true, limit: 10 });
    expect(flood).toMatchObject({ rule: 'flood', severity: 'orange', grid: 'c-a' });
    expect(h.manager.observeReport(report('c-b', T0 + MIN), T0 + MIN)).toBeNull(); // another cell: counted there
    for (let i = 1; i <= 2; i++) expect(h.manager.observeReport(report('c-a', T0 + i * MIN), T0 + i * MIN)?.id).toBe(flood!.id);
    expect(flood!.severity).toBe('orange');
    expect(h.manager.observeReport(report('c-a', T0 + 3 * MIN), T0 + 3 * MIN)?.id).toBe(flood!.id);
    expect(flood).toMatchObject({ severity: 'red' });
    expect(flood!.reports).toHaveLength(3);
    const notes = h.events.filter((e) => e.alertId === flood!.id).map((e) => e.note);
    expect(notes.at(-1)).toMatch(/3 residents' reports of waterlogging corroborate it \(rule water-reports\): colour raised from orange to red/);
    expect(h.manager.list({ active: true, limit: 10 })).toHaveLength(1); // no reports alert beside it
  });

  it('counts a report marked as spam no more', () => {
    const h = harness({ rules: [waterReports()] });
    const spam = report('c-a', T0);
    h.manager.observeReport(spam, T0);
    h.manager.observeReport(report('c-a', T0 + MIN), T0 + MIN);
    h.manager.forgetReport({ ...spam, spam: true });
    expect(h.manager.observeReport(report('c-a', T0 + 2 * MIN), T0 + 2 * MIN)).toBeNull(); // two left, not three
    expect(h.manager.observeReport(report('c-a', T0 + 3 * MIN), T0 + 3 * MIN)?.reports).not.toContain(spam.receipt);
  });

  it('leaves a report no rule takes as it is, and a pending sensor alert does not take reports', () => {
    const h = harness({ rules: [floodRule('orange', { for: '5m' }), waterReports({ sensor_rules: ['flood'] })] });
    expect(h.manager.observeReport(report('c-a', T0, 'streetlight'), T0)).toBeNull();
    h.deliver('flood', cond(h.city, 'wl-a', 'pending'), T0);
    expect(h.manager.list({ active: true, limit: 10 })[0]).toMatchObject({ state: 'pending' });
    expect(h.manager.observeReport(report('c-a', T0 + MIN), T0 + MIN)).toBeNull();
  });
});

describe('AlertManager, cluster mode: the reports rule on a partition taken over', () => {
  const replica = (ownsCa: boolean) => {
    const h = harness({ rules: [floodRule(), waterReports()] });
    h.manager.setPartitions(ownsCa ? [partitionOf('c-a')] : [], T0);
    return h;
  };

  it('counts nothing of a cell it does not own', () => {
    const h = replica(false);
    for (let i = 0; i < 3; i++) expect(h.manager.observeReport(report('c-a', T0 + i * MIN), T0 + i * MIN)).toBeNull();
    expect(h.manager.list({ active: true, limit: 10 })).toEqual([]);
  });

  it('counts the reports its replay sees (no alert raised while replaying), so the next live one raises the alert', () => {
    const h = replica(true);
    const replay = h.manager.replayer(partitionOf('c-a'));
    replay.feedReport(T0, report('c-a', T0));
    replay.feedReport(T0 + MIN, report('c-a', T0 + MIN));
    replay.feedReport(T0 + MIN, report('c-c', T0 + MIN)); // another partition's: not counted
    replay.finish(T0 + 2 * MIN);
    expect(h.manager.list({ active: true, limit: 10 })).toEqual([]);
    const a = h.manager.observeReport(report('c-a', T0 + 3 * MIN), T0 + 3 * MIN);
    expect(a?.reports).toHaveLength(3);
  });

  it('does not count again, in a replay, a report that joined an alert the last owner had open', () => {
    const h = replica(true);
    h.manager.adopt([{ ...alertOf(h), id: 'al-open' }], T0);
    const replay = h.manager.replayer(partitionOf('c-a'));
    for (let i = 0; i < 2; i++) replay.feedReport(T0 + i * MIN, report('c-a', T0 + i * MIN));
    replay.finish(T0 + 3 * MIN);
    h.manager.resolve('al-open', 'gw-c-a', 'done', T0 + 4 * MIN);
    // had the replay counted the two that joined the open alert, this one would raise a second alert
    expect(h.manager.observeReport(report('c-a', T0 + 5 * MIN), T0 + 5 * MIN)).toBeNull();
  });

  it('counts no more, in a replay, a report the stream says was marked as spam', () => {
    const h = replica(true);
    const replay = h.manager.replayer(partitionOf('c-a'));
    const spam = report('c-a', T0);
    replay.feedReport(T0, spam);
    replay.feedReport(T0 + MIN, report('c-a', T0 + MIN));
    replay.feedReport(T0 + 2 * MIN, { ...spam, spam: true });
    replay.finish(T0 + 2 * MIN);
    expect(h.manager.observeReport(report('c-a', T0 + 3 * MIN), T0 + 3 * MIN)).toBeNull();
  });

  it('hands its report counts to the next owner in the partition\'s snapshot', () => {
    const owner = replica(true);
    owner.manager.observeReport(report('c-a', T0), T0);
    owner.manager.observeReport(report('c-a', T0 + MIN), T0 + MIN);
    const snapshot = owner.manager.snapshot(partitionOf('c-a'))!;
    const taker = replica(true);
    taker.manager.replayer(partitionOf('c-a'), snapshot).finish(T0 + 2 * MIN);
    expect(taker.manager.observeReport(report('c-a', T0 + 3 * MIN), T0 + 3 * MIN)?.reports).toHaveLength(3);
  });
});

/** An open reports alert in c-a, as the alert stream would hand it to a new owner. */
function alertOf(_h: ReturnType<typeof harness>): Alert {
  const other = harness({ rules: [waterReports()] });
  for (let i = 0; i < 3; i++) other.manager.observeReport(report('c-a', T0 - 60 * MIN + i * MIN), T0 - 60 * MIN + i * MIN);
  return other.manager.list({ active: true, limit: 1 })[0]!;
}
