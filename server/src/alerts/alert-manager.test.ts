// Proves the AlertManager lifecycle (pending/firing/ack/resolve), re-raise, flap suppression, escalation, maintenance, restart from the log, composites and setRules, on a fake clock and fake evaluators.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '@citygrid/contract';
import type { AlertManager } from './alert-manager.js';
import {
  MIN, SEC, T0, cameraEvent, cleanupDirs, codeOf, cond, floodRule, harness, makeCity, observation, rule,
} from './test-fixtures.js';

afterEach(() => cleanupDirs());

const open = (m: AlertManager, ruleId?: string): Alert[] => m.list({ active: true, limit: 100 }).filter((a) => !ruleId || a.rule === ruleId);
const all = (m: AlertManager, ruleId?: string): Alert[] => m.list({ active: false, limit: 100 }).filter((a) => !ruleId || a.rule === ruleId);
function only(list: Alert[]): Alert {
  expect(list).toHaveLength(1);
  return list[0]!;
}

const gasRule = () => rule({ id: 'gas', kind: 'threshold', match: { kind: 'gas' }, metric: 'ch4', above: 25, severity: 'orange' });
const compositeRule = () => rule({ id: 'incident', kind: 'composite', scope: 'grid', within: '10m', all: ['flood', { camera: 'stalled_vehicle' }], severity: 'red', message: 'Vehicle stranded in flood water' });

describe('AlertManager: lifecycle', () => {
  it('goes pending -> firing -> acknowledged -> resolved, logging and emitting every transition with actor, time and note', () => {
    const h = harness();
    const { city, manager: m, log } = h;
    h.deliver('flood', cond(city, 'wl-a', 'pending', { level_cm: 32 }), T0);
    const a = only(open(m));
    expect(a).toMatchObject({
      rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
      state: 'pending', startedAt: T0, escalation: 0, assignees: ['gw-c-a'], guidance: 'Close the underpass.', values: { level_cm: 32 },
      suppressed: false, reraises: null, partOf: null,
    });
    expect(a.message).toContain('Flooding');

    h.deliver('flood', cond(city, 'wl-a', 'active', { level_cm: 36 }), T0 + 30 * SEC);
    expect(a.state).toBe('firing');
    expect(a.values).toEqual({ level_cm: 36 });
    expect(a.ackDeadline).toBe(T0 + 30 * SEC + 5 * MIN);

    const acked = m.acknowledge(a.id, 'gw-c-a', 'on my way', T0 + MIN);
    expect(acked).toMatchObject({ id: a.id, state: 'acknowledged', acknowledgedBy: 'gw-c-a', acknowledgedAt: T0 + MIN });

    h.deliver('flood', cond(city, 'wl-a', 'clear', { level_cm: 12 }, 'level_cm 12 cm, back below 20 cm'), T0 + 5 * MIN);
    expect(m.get(a.id)).toMatchObject({ state: 'resolved', resolvedBy: 'system', resolvedAt: T0 + 5 * MIN });
    expect(open(m)).toHaveLength(0);

    const history = log.history(a.id);
    expect(history.map((e) => e.type)).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
    expect(history.map((e) => e.actor)).toEqual(['system', 'system', 'gw-c-a', 'system']);
    expect(history.map((e) => e.ts)).toEqual([T0, T0 + 30 * SEC, T0 + MIN, T0 + 5 * MIN]);
    expect(history[2]!.note).toBe('on my way');
    expect(history[3]!.note).toContain('back below 20 cm');
    expect(history.map((e) => e.alert.state)).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
    // the same transitions went to onEvent, with the log's sequence numbers
    expect(h.typesOf(a.id)).toEqual(['pending', 'firing', 'acknowledged', 'resolved']);
    expect(h.events.map((e) => e.seq)).toEqual(history.map((e) => e.seq));
    // onEvent gets a snapshot, not the live object
    expect(h.events[0]!.alert.state).toBe('pending');
  });

  it('keeps one alert per rule and key; another key gets its own alert with its own cell workers', () => {
    const h = harness();
    const { city, manager: m } = h;
    h.deliver('flood', cond(city, 'wl-a', 'active', { level_cm: 35 }), T0);
    h.deliver('flood', cond(city, 'wl-a', 'active', { level_cm: 40 }), T0 + 40 * SEC);
    const a = only(open(m));
    expect(a.values).toEqual({ level_cm: 40 });
    expect(h.typesOf(a.id)).toEqual(['firing', 'updated']);

    h.deliver('flood', cond(city, 'wl-b', 'active', { level_cm: 33 }), T0 + MIN);
    const both = open(m);
    expect(both).toHaveLength(2);
    const b = both.find((x) => x.key === 'wl-b')!;
    expect(b.id).not.toBe(a.id);
    expect(b).toMatchObject({ grid: 'c-b', district: 'east', assignees: ['gw-c-b'] });
    expect(all(m)).toHaveLength(2);
  });

  it('resolves a pending alert whose condition clears before it held, with a note', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'pending'), T0);
    const a = only(open(h.manager));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 25 }, 'level_cm 25 cm, no longer above 30 cm'), T0 + 10 * SEC);
    expect(a.state).toBe('resolved');
    const history = h.log.history(a.id);
    expect(history.map((e) => e.type)).toEqual(['pending', 'resolved']);
    expect(history[1]!.actor).toBe('system');
    expect(history[1]!.note).toBeTruthy();
    expect(history[1]!.note).toContain('no longer above 30 cm');
  });

  it('counts firing and acknowledged alerts per colour, not pending ones', () => {
    const h = harness({ rules: [floodRule('red'), gasRule()] });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('flood', cond(h.city, 'wl-b', 'pending'), T0);
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0);
    expect(h.manager.activeCount()).toEqual({ red: 1, orange: 1, yellow: 0, blue: 0 });
  });

  it('filters the list by grid, district and severity, newest first, up to the limit', () => {
    const h = harness({ rules: [floodRule('red'), gasRule()] });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('flood', cond(h.city, 'wl-b', 'active'), T0 + SEC);
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0 + 2 * SEC);
    const m = h.manager;
    expect(m.list({ active: true, limit: 10 }).map((a) => a.key)).toEqual(['gas-c', 'wl-b', 'wl-a']);
    expect(m.list({ active: true, grid: 'c-b', limit: 10 }).map((a) => a.key)).toEqual(['wl-b']);
    expect(m.list({ active: true, district: 'east', limit: 10 }).map((a) => a.key)).toEqual(['wl-b', 'wl-a']);
    expect(m.list({ active: true, severity: 'orange', limit: 10 }).map((a) => a.key)).toEqual(['gas-c']);
    expect(m.list({ active: true, limit: 1 }).map((a) => a.key)).toEqual(['gas-c']);
  });
});

describe('AlertManager: manual actions', () => {
  it('needs a note to resolve, refuses unknown ids and a second resolve', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(m));
    expect(codeOf(() => m.resolve(a.id, 'gw-c-a', '', T0 + MIN))).toBe('NOTE_REQUIRED');
    expect(codeOf(() => m.resolve(a.id, 'gw-c-a', '   ', T0 + MIN))).toBe('NOTE_REQUIRED');
    expect(a.state).toBe('firing');
    expect(codeOf(() => m.resolve('al-nope', 'gw-c-a', 'done', T0 + MIN))).toBe('ALERT_NOT_FOUND');
    expect(codeOf(() => m.acknowledge('al-nope', 'gw-c-a', null, T0 + MIN))).toBe('ALERT_NOT_FOUND');

    const r = m.resolve(a.id, 'gw-c-a', 'pumped out, drain cleared', T0 + 2 * MIN);
    expect(r).toMatchObject({ state: 'resolved', resolvedBy: 'gw-c-a', resolvedAt: T0 + 2 * MIN });
    const last = h.log.history(a.id).at(-1)!;
    expect(last).toMatchObject({ type: 'resolved', actor: 'gw-c-a', note: 'pumped out, drain cleared', ts: T0 + 2 * MIN });

    expect(codeOf(() => m.resolve(a.id, 'gw-c-a', 'again', T0 + 3 * MIN))).toBe('ALERT_RESOLVED');
    expect(codeOf(() => m.acknowledge(a.id, 'gw-c-a', null, T0 + 3 * MIN))).toBe('ALERT_RESOLVED');
    expect(h.log.history(a.id)).toHaveLength(2);
  });

  it('acknowledging twice is harmless and logs once', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.manager.acknowledge(a.id, 'gw-c-a', 'seen', T0 + MIN);
    h.manager.acknowledge(a.id, 'operator', 'seen too', T0 + 2 * MIN);
    expect(a.acknowledgedBy).toBe('gw-c-a');
    expect(h.typesOf(a.id)).toEqual(['firing', 'acknowledged']);
  });
});

describe('AlertManager: re-raise after a manual resolve', () => {
  it('raises a new alert pointing at the old one when the condition is still active 2 min after a person resolved it', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const first = only(open(m));
    m.resolve(first.id, 'gw-c-a', 'looked fine to me', T0 + MIN);
    expect(open(m)).toHaveLength(0);

    // the evaluator still says active: nothing new right away
    h.deliver('flood', cond(h.city, 'wl-a', 'active', { level_cm: 37 }), T0 + MIN + 30 * SEC);
    expect(open(m)).toHaveLength(0);
    m.tick(T0 + 3 * MIN - 1);
    expect(open(m)).toHaveLength(0);

    m.tick(T0 + 3 * MIN);
    const second = only(open(m));
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ reraises: first.id, state: 'firing', key: 'wl-a', startedAt: T0 + 3 * MIN });
    expect(h.log.history(second.id)[0]!.note).toContain('gw-c-a');
    expect(m.get(first.id)?.state).toBe('resolved');
    m.tick(T0 + 10 * MIN);
    expect(open(m)).toHaveLength(1);
  });

  it('does not re-raise when the condition cleared after the manual resolve', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const first = only(open(h.manager));
    h.manager.resolve(first.id, 'gw-c-a', 'fixed the drain', T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 5 }), T0 + 90 * SEC);
    h.manager.tick(T0 + 10 * MIN);
    expect(open(h.manager)).toHaveLength(0);
  });

  it('honours reraiseAfterMs', () => {
    const h = harness({ manager: { reraiseAfterMs: 30 * SEC } });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const first = only(open(h.manager));
    h.manager.resolve(first.id, 'operator', 'closed by mistake', T0 + MIN);
    h.manager.tick(T0 + MIN + 29 * SEC);
    expect(open(h.manager)).toHaveLength(0);
    h.manager.tick(T0 + MIN + 30 * SEC);
    expect(only(open(h.manager)).reraises).toBe(first.id);
  });

  it('a condition that becomes active again after the re-raise delay raises a re-raise at once', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const first = only(open(h.manager));
    h.manager.resolve(first.id, 'gw-c-a', 'done', T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 4 * MIN);
    expect(only(open(h.manager)).reraises).toBe(first.id);
  });
});

describe('AlertManager: flap suppression', () => {
  it('reopens the same alert when the condition comes back within 10 min, and resolves it only after 5 min clear', () => {
    const h = harness({ rules: [floodRule('yellow')] }); // yellow: no escalation inside this scenario
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(m));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 10 }), T0 + MIN);
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'system' });

    h.deliver('flood', cond(h.city, 'wl-a', 'active', { level_cm: 33 }), T0 + 3 * MIN);
    expect(only(open(m)).id).toBe(a.id);
    expect(a).toMatchObject({ state: 'firing', flapping: true, resolvedAt: null, resolvedBy: null, values: { level_cm: 33 } });
    const reopened = h.events.at(-1)!;
    expect(reopened).toMatchObject({ alertId: a.id, type: 'reopened', actor: 'system' });
    expect(reopened.alert.flapping).toBe(true);

    // a clear does not resolve a flapping alert at once
    h.deliver('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 10 }), T0 + 4 * MIN);
    expect(a.state).toBe('firing');
    m.tick(T0 + 9 * MIN - 1);
    expect(a.state).toBe('firing');
    m.tick(T0 + 9 * MIN);
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'system', resolvedAt: T0 + 9 * MIN });
    expect(h.log.history(a.id).at(-1)!.note).toContain('flapping');
    expect(h.typesOf(a.id)).toEqual(['firing', 'resolved', 'reopened', 'resolved']);
  });

  it('a flapping alert that comes back during the settle time stays open and restarts the settle time', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(m));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 2 * MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + 3 * MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 6 * MIN);
    m.tick(T0 + 8 * MIN); // 5 min after the first clear, but it came back in between
    expect(a.state).toBe('firing');
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + 9 * MIN);
    m.tick(T0 + 13 * MIN);
    expect(a.state).toBe('firing');
    m.tick(T0 + 14 * MIN);
    expect(a.state).toBe('resolved');
  });

  it('never creates a second alert while the condition toggles within the window', () => {
    const h = harness();
    const m = h.manager;
    let t = T0;
    for (let i = 0; i < 6; i++) {
      h.deliver('flood', cond(h.city, 'wl-a', 'active'), t);
      h.deliver('flood', cond(h.city, 'wl-a', 'clear'), t + MIN);
      m.tick(t + 6 * MIN); // settles (resolves) after 5 min clear
      t += 8 * MIN; // back within 10 min of that resolve
    }
    const ids = new Set(h.events.map((e) => e.alertId));
    expect(ids.size).toBe(1);
    expect(all(m)).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'reopened')).toHaveLength(5);
  });

  it('raises a fresh alert when the condition comes back after the flap window', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 11 * MIN);
    const b = only(open(h.manager));
    expect(b.id).not.toBe(a.id);
    expect(b.flapping ?? false).toBe(false);
    expect(b.reraises).toBeNull();
  });

  it('reopens (not re-creates) an alert when the condition comes back through pending within the window (hold-time rules)', () => {
    // Threshold rules with `for:` report pending before active: that path must not start a second alert.
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'pending'), T0 + 2 * MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 2 * MIN + 30 * SEC);
    expect(new Set(h.events.map((e) => e.alertId))).toEqual(new Set([a.id]));
    expect(only(open(h.manager))).toMatchObject({ id: a.id, state: 'firing', flapping: true });
  });
});

describe('AlertManager: escalation', () => {
  it('escalates an unacknowledged red alert to the district supervisor at +5 min and the control room at +10 min, no further', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(m));
    expect(a).toMatchObject({ escalation: 0, assignees: ['gw-c-a'], ackDeadline: T0 + 5 * MIN });

    m.tick(T0 + 5 * MIN - 1);
    expect(a.escalation).toBe(0);
    m.tick(T0 + 5 * MIN);
    expect(a).toMatchObject({ escalation: 1, assignees: ['sup-east'], ackDeadline: T0 + 10 * MIN });
    const e1 = h.events.at(-1)!;
    expect(e1).toMatchObject({ type: 'escalated', actor: 'system', alertId: a.id });
    expect(e1.note).toContain('supervisor');

    m.tick(T0 + 10 * MIN - 1);
    expect(a.escalation).toBe(1);
    m.tick(T0 + 10 * MIN);
    expect(a).toMatchObject({ escalation: 2, assignees: ['operator', 'admin'] });

    m.tick(T0 + 15 * MIN);
    m.tick(T0 + 60 * MIN);
    expect(a.escalation).toBe(2);
    expect(h.typesOf(a.id)).toEqual(['firing', 'escalated', 'escalated']);
    expect(h.log.history(a.id).map((e) => e.alert.escalation)).toEqual([0, 1, 2]);
  });

  it('does not escalate an acknowledged alert', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.manager.acknowledge(a.id, 'gw-c-a', null, T0 + 4 * MIN);
    h.manager.tick(T0 + 30 * MIN);
    expect(a).toMatchObject({ escalation: 0, assignees: ['gw-c-a'], state: 'acknowledged' });
    expect(h.typesOf(a.id)).toEqual(['firing', 'acknowledged']);
  });

  it('counts the deadline from when the alert started firing, not while pending', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'pending'), T0);
    const a = only(open(h.manager));
    h.manager.tick(T0 + 6 * MIN);
    expect(a.escalation).toBe(0);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 7 * MIN);
    h.manager.tick(T0 + 12 * MIN - 1);
    expect(a.escalation).toBe(0);
    h.manager.tick(T0 + 12 * MIN);
    expect(a.escalation).toBe(1);
  });

  it('uses the colour of the rule: orange waits 15 min', () => {
    const h = harness({ rules: [floodRule('orange')] });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.manager.tick(T0 + 15 * MIN - 1);
    expect(a.escalation).toBe(0);
    h.manager.tick(T0 + 15 * MIN);
    expect(a.escalation).toBe(1);
  });

  it('uses the deadlines from people.yaml over the defaults', () => {
    const h = harness({ city: makeCity({ red: '2m' }) });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    expect(a.ackDeadline).toBe(T0 + 2 * MIN);
    h.manager.tick(T0 + 2 * MIN - 1);
    expect(a.escalation).toBe(0);
    h.manager.tick(T0 + 2 * MIN);
    expect(a).toMatchObject({ escalation: 1, ackDeadline: T0 + 4 * MIN });
    h.manager.tick(T0 + 4 * MIN);
    expect(a.escalation).toBe(2);
  });

  it('routes a west-district alert to the west supervisor', () => {
    const h = harness({ rules: [gasRule()] });
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0);
    const a = only(open(h.manager));
    expect(a.assignees).toEqual(['gw-c-c']);
    h.manager.tick(T0 + 15 * MIN);
    expect(a.assignees).toEqual(['sup-west']);
  });
});

describe('AlertManager: maintenance windows', () => {
  it('suppresses open alerts of a device under maintenance, does not escalate them, and unsuppresses with a fresh deadline when the window ends', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('flood', cond(h.city, 'wl-b', 'active'), T0);
    const a = open(m).find((x) => x.key === 'wl-a')!;
    const b = open(m).find((x) => x.key === 'wl-b')!;

    const w = m.addMaintenance({ target: { device: 'wl-a' }, by: 'operator', reason: 'pump repair', from: T0 + MIN, until: T0 + 31 * MIN }, T0 + MIN);
    expect(w.id).toBeTruthy();
    expect(m.listMaintenance(T0 + MIN)).toEqual([w]);
    expect(a.suppressed).toBe(true);
    expect(b.suppressed).toBe(false);
    expect(h.events.at(-1)).toMatchObject({ alertId: a.id, type: 'suppressed', actor: 'system' });

    m.tick(T0 + 20 * MIN);
    expect(a.escalation).toBe(0);
    expect(b.escalation).toBe(1);

    m.tick(T0 + 31 * MIN);
    expect(a.suppressed).toBe(false);
    expect(a.ackDeadline).toBe(T0 + 36 * MIN);
    expect(h.typesOf(a.id)).toEqual(['firing', 'suppressed', 'unsuppressed']);
    expect(m.listMaintenance(T0 + 31 * MIN)).toEqual([]);
    m.tick(T0 + 36 * MIN - 1);
    expect(a.escalation).toBe(0);
    m.tick(T0 + 36 * MIN);
    expect(a.escalation).toBe(1);
  });

  it('starts alerts raised during a grid window suppressed, and ends the window early on request', () => {
    const h = harness();
    const m = h.manager;
    const w = m.addMaintenance({ target: { grid: 'c-a' }, by: 'operator', reason: 'road works', from: T0, until: T0 + 60 * MIN }, T0);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-b', 'active'), T0 + MIN);
    const a = open(m).find((x) => x.key === 'wl-a')!;
    const b = open(m).find((x) => x.key === 'wl-b')!;
    expect(a.suppressed).toBe(true);
    expect(h.log.history(a.id)[0]!.alert.suppressed).toBe(true);
    expect(b.suppressed).toBe(false);

    m.tick(T0 + 20 * MIN);
    expect(a.escalation).toBe(0);

    expect(m.endMaintenance('mw-unknown', 'operator', T0 + 21 * MIN)).toBe(false);
    expect(m.endMaintenance(w.id, 'operator', T0 + 21 * MIN)).toBe(true);
    expect(a.suppressed).toBe(false);
    expect(a.ackDeadline).toBe(T0 + 26 * MIN);
    expect(h.typesOf(a.id)).toEqual(['firing', 'unsuppressed']);
    expect(m.listMaintenance(T0 + 21 * MIN)).toEqual([]);
    expect(h.log.maintenanceWindows(T0 + 21 * MIN)).toEqual([]);
  });

  it('does not suppress before a window starts', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    h.manager.addMaintenance({ target: { device: 'wl-a' }, by: 'operator', reason: 'planned', from: T0 + 10 * MIN, until: T0 + 20 * MIN }, T0);
    expect(a.suppressed).toBe(false);
    h.manager.tick(T0 + 10 * MIN);
    expect(a.suppressed).toBe(true);
  });

  it('a rule window suppresses that rule\'s alerts wherever they are, and no other rule\'s', () => {
    const h = harness({ rules: [floodRule('red'), gasRule()] });
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0);
    const w = m.addMaintenance({ target: { rule: 'flood' }, by: 'operator', reason: 'recalibrating the gauges', from: T0 + MIN, until: T0 + 60 * MIN }, T0 + MIN);
    const flood = only(open(m, 'flood'));
    const gas = only(open(m, 'gas'));
    expect(flood.suppressed).toBe(true);
    expect(gas.suppressed).toBe(false);
    h.deliver('flood', cond(h.city, 'wl-b', 'active'), T0 + 2 * MIN); // another cell, same rule
    expect(open(m, 'flood').find((a) => a.key === 'wl-b')!.suppressed).toBe(true);
    expect(m.endMaintenance(w.id, 'operator', T0 + 3 * MIN)).toBe(true);
    expect(open(m, 'flood').every((a) => !a.suppressed)).toBe(true);
    expect(h.typesOf(flood.id)).toEqual(['firing', 'suppressed', 'unsuppressed']);
  });

  it('a flapping alert reopened during maintenance is reopened suppressed (not notified)', () => {
    const h = harness();
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(m));
    h.deliver('flood', cond(h.city, 'wl-a', 'clear'), T0 + MIN);
    m.addMaintenance({ target: { device: 'wl-a' }, by: 'operator', reason: 'pump repair', from: T0 + 2 * MIN, until: T0 + 60 * MIN }, T0 + 2 * MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0 + 3 * MIN);
    const reopened = h.events.find((e) => e.alertId === a.id && e.type === 'reopened')!;
    expect(reopened.alert.suppressed).toBe(true);
  });

  it('keeps maintenance windows across a restart', () => {
    const h = harness();
    h.manager.addMaintenance({ target: { device: 'wl-a' }, by: 'operator', reason: 'pump repair', from: T0, until: T0 + 60 * MIN }, T0);
    const h2 = h.restart(T0 + MIN);
    expect(h2.manager.listMaintenance(T0 + MIN)).toHaveLength(1);
    h2.deliver('flood', cond(h2.city, 'wl-a', 'active'), T0 + 2 * MIN);
    expect(only(open(h2.manager)).suppressed).toBe(true);
  });
});

describe('AlertManager: restart from the alert log', () => {
  function before() {
    const h = harness({ rules: [floodRule('red'), gasRule()] });
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('flood', cond(h.city, 'wl-b', 'active'), T0);
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0);
    const a = open(m).find((x) => x.key === 'wl-a')!;
    const b = open(m).find((x) => x.key === 'wl-b')!;
    const c = open(m).find((x) => x.key === 'gas-c')!;
    m.acknowledge(b.id, 'gw-c-b', 'on it', T0 + MIN);
    m.resolve(c.id, 'gw-c-c', 'false alarm, sensor cleaned', T0 + 2 * MIN);
    return { h, a: structuredClone(a), b: structuredClone(b), c: structuredClone(c) };
  }

  it('restores open alerts with the same ids and states, and resolved ones for the API', () => {
    const { h, a, b, c } = before();
    const h2 = h.restart(T0 + 3 * MIN);
    const m2 = h2.manager;
    expect(m2.get(a.id)).toEqual(a);
    expect(m2.get(b.id)).toEqual(b);
    expect(m2.get(b.id)?.state).toBe('acknowledged');
    expect(open(m2).map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(m2.get(c.id)).toMatchObject({ state: 'resolved', resolvedBy: 'gw-c-c' });
    expect(all(m2).map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(h2.events).toEqual([]);
  });

  it('acknowledges a restored alert and keeps one alert per key', () => {
    const { h, a } = before();
    const h2 = h.restart(T0 + 3 * MIN);
    const acked = h2.manager.acknowledge(a.id, 'gw-c-a', 'after restart', T0 + 4 * MIN);
    expect(acked.state).toBe('acknowledged');
    expect(h2.log.history(a.id).map((e) => e.type)).toEqual(['firing', 'acknowledged']);
    h2.deliver('flood', cond(h2.city, 'wl-a', 'active', { level_cm: 50 }), T0 + 5 * MIN);
    expect(open(h2.manager, 'flood').filter((x) => x.key === 'wl-a').map((x) => x.id)).toEqual([a.id]);
  });

  it('resolves a restored alert whose device reports again but whose condition never comes back, 60 s after the start', () => {
    const { h, a, b } = before();
    const start = T0 + 3 * MIN;
    const h2 = h.restart(start);
    const m2 = h2.manager;
    m2.observe([observation(h2.city, 'wl-a', start + 5 * SEC, { level_cm: 5 })], start + 5 * SEC); // the evaluator reports nothing
    m2.tick(start + 59 * SEC);
    expect(m2.get(a.id)?.state).toBe('firing');
    m2.tick(start + 60 * SEC);
    expect(m2.get(a.id)).toMatchObject({ state: 'resolved', resolvedBy: 'system', resolvedAt: start + 60 * SEC });
    expect(h2.log.history(a.id).at(-1)!.note).toContain('restart');
    // a device that has not reported since the restart keeps its alert
    m2.tick(start + 30 * MIN);
    expect(m2.get(b.id)?.state).toBe('acknowledged');
  });

  it('keeps a restored alert whose condition is reported active again', () => {
    const { h, a } = before();
    const start = T0 + 3 * MIN;
    const h2 = h.restart(start);
    h2.deliver('flood', cond(h2.city, 'wl-a', 'active'), start + 5 * SEC);
    h2.manager.tick(start + 2 * MIN);
    expect(h2.manager.get(a.id)?.state).not.toBe('resolved');
  });

  it('continues escalating a restored firing alert from its stored deadline', () => {
    const { h, a } = before();
    const h2 = h.restart(T0 + 3 * MIN);
    h2.manager.tick(T0 + 5 * MIN);
    expect(h2.manager.get(a.id)?.escalation).toBe(1);
  });

  it('the alert_events table refuses UPDATE and DELETE', () => {
    const { h, a } = before();
    h.log.close();
    const db = new Database(h.logPath);
    try {
      expect(() => db.prepare("UPDATE alert_events SET note = 'changed' WHERE alert_id = ?").run(a.id)).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM alert_events WHERE alert_id = ?').run(a.id)).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM alert_events').run()).toThrow(/append-only/);
      const n = db.prepare('SELECT count(*) AS n FROM alert_events WHERE alert_id = ?').get(a.id) as { n: number };
      expect(n.n).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('AlertManager: composite rules', () => {
  const rules = () => [floodRule('orange'), compositeRule()];

  it('parses the composite through the contract schema (durations in ms)', () => {
    const c = compositeRule();
    expect(c.kind === 'composite' && c.within).toBe(600_000);
  });

  it('groups a flood alert and a stalled vehicle seen by a camera in the same cell into one incident', () => {
    const h = harness({ rules: rules() });
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const flood = only(open(m, 'flood'));
    expect(open(m, 'incident')).toHaveLength(0);

    m.observe([cameraEvent(h.city, 'cam-a', T0 + MIN)], T0 + MIN);
    const incident = only(open(m, 'incident'));
    expect(incident).toMatchObject({ key: 'c-a', grid: 'c-a', district: 'east', severity: 'red', state: 'firing', ruleKind: 'composite', assignees: ['gw-c-a'] });
    expect(incident.parts).toContain(flood.id);
    expect(incident.devices).toContain('wl-a');
    expect(incident.message).toContain('Vehicle stranded in flood water');
    expect(flood.partOf).toBe(incident.id);
    const grouped = h.events.find((e) => e.alertId === flood.id && e.type === 'grouped')!;
    expect(grouped.alert.partOf).toBe(incident.id);

    // more events keep the one incident
    m.observe([cameraEvent(h.city, 'cam-a', T0 + 2 * MIN)], T0 + 2 * MIN);
    m.tick(T0 + 3 * MIN);
    expect(open(m, 'incident')).toHaveLength(1);
    expect(h.events.filter((e) => e.alertId === flood.id && e.type === 'grouped')).toHaveLength(1);
  });

  it('the incident\'s first event already names its parts', () => {
    const h = harness({ rules: rules() });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const flood = only(open(h.manager, 'flood'));
    h.manager.observe([cameraEvent(h.city, 'cam-a', T0 + MIN)], T0 + MIN);
    const incident = only(open(h.manager, 'incident'));
    const first = h.events.find((e) => e.alertId === incident.id)!;
    expect(first.type).toBe('firing');
    expect(first.alert.parts).toContain(flood.id);
    expect(h.log.history(incident.id).at(-1)!.alert.parts).toContain(flood.id);
  });

  it('does not combine a camera event in another cell', () => {
    const h = harness({ rules: rules() });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.manager.observe([cameraEvent(h.city, 'cam-b', T0 + MIN)], T0 + MIN);
    h.manager.tick(T0 + 2 * MIN);
    expect(open(h.manager, 'incident')).toHaveLength(0);
    expect(only(open(h.manager, 'flood')).partOf).toBeNull();
  });

  it('does not fire on a camera event alone', () => {
    const h = harness({ rules: rules() });
    h.manager.observe([cameraEvent(h.city, 'cam-a', T0)], T0);
    h.manager.tick(T0 + SEC);
    expect(open(h.manager)).toHaveLength(0);
  });

  it('resolves the incident once the camera event is older than the window', () => {
    const h = harness({ rules: rules() });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.manager.observe([cameraEvent(h.city, 'cam-a', T0 + MIN)], T0 + MIN);
    const incident = only(open(h.manager, 'incident'));
    h.manager.tick(T0 + 11 * MIN);
    expect(incident.state).toBe('firing');
    h.manager.tick(T0 + 11 * MIN + SEC);
    expect(incident).toMatchObject({ state: 'resolved', resolvedBy: 'system' });
    expect(open(h.manager, 'flood')).toHaveLength(1);
  });

  it('a part that is only pending (not yet held long enough) does not make an incident', () => {
    const h = harness({ rules: rules() });
    h.deliver('flood', cond(h.city, 'wl-a', 'pending'), T0);
    h.manager.observe([cameraEvent(h.city, 'cam-a', T0 + 10 * SEC)], T0 + 10 * SEC);
    expect(open(h.manager, 'incident')).toHaveLength(0);
  });

  it('fires a composite made only of camera parts', () => {
    const h = harness({ rules: [rule({ id: 'jam-in-water', kind: 'composite', within: '10m', all: [{ camera: 'stalled_vehicle' }, { camera: 'waterlogging' }], severity: 'orange' })] });
    h.manager.observe([cameraEvent(h.city, 'cam-a', T0, 'stalled_vehicle'), cameraEvent(h.city, 'cam-a', T0, 'waterlogging')], T0);
    h.manager.tick(T0 + SEC);
    expect(only(open(h.manager, 'jam-in-water'))).toMatchObject({ key: 'c-a', grid: 'c-a' });
  });
});

describe('AlertManager: setRules and rulesStatus', () => {
  /** Delivers a low reading from wl-a after a reload: a kept evaluator reports the clear itself; a rebuilt one
   *  (fresh state, like the real kinds) reports nothing for a key it has never reported. */
  function lowReadingAfterReload(h: ReturnType<typeof harness>, createdBefore: number, at: number): void {
    const rebuilt = h.fake.created.length > createdBefore;
    if (!rebuilt) h.fake.queue('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 5 }));
    h.manager.observe([observation(h.city, 'wl-a', at, { level_cm: 5 })], at);
  }

  it('does not strand an open alert when rules.yaml is reloaded and the condition then clears', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    const createdBefore = h.fake.created.length;
    h.manager.setRules([floodRule()], T0 + MIN);
    lowReadingAfterReload(h, createdBefore, T0 + MIN + 5 * SEC);
    h.manager.tick(T0 + 3 * MIN);
    expect(a.state).toBe('resolved');
  });

  it('does not strand an open alert when its rule is edited (a new evaluator) and the condition then clears', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    const createdBefore = h.fake.created.length;
    h.manager.setRules([floodRule('red', { message: 'Flooding (edited)' })], T0 + MIN);
    lowReadingAfterReload(h, createdBefore, T0 + MIN + 5 * SEC);
    h.manager.tick(T0 + 3 * MIN);
    expect(a.state).toBe('resolved');
  });

  it('does not re-raise, after a reload, an alert a person resolved once the condition is gone', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = only(open(h.manager));
    const createdBefore = h.fake.created.length;
    h.manager.setRules([floodRule()], T0 + MIN);
    h.manager.acknowledge(a.id, 'gw-c-a', null, T0 + 90 * SEC);
    h.manager.resolve(a.id, 'gw-c-a', 'pumped out', T0 + 2 * MIN);
    lowReadingAfterReload(h, createdBefore, T0 + 2 * MIN + 10 * SEC);
    h.manager.tick(T0 + 6 * MIN);
    expect(open(h.manager)).toHaveLength(0);
  });

  it('builds one evaluator per non-composite rule with the devices its match selects', () => {
    const h = harness({ rules: [floodRule(), gasRule(), compositeRule()] });
    expect(h.fake.created.map((c) => c.rule.id)).toEqual(['flood', 'gas']);
    expect(h.fake.created[0]!.devices).toEqual([
      { id: 'wl-a', kind: 'water_level', grid: 'c-a', district: 'east' },
      { id: 'wl-b', kind: 'water_level', grid: 'c-b', district: 'east' },
    ]);
    expect(h.fake.created[1]!.devices.map((d) => d.id)).toEqual(['gas-c']);
    // observations reach only the rules that select the device
    h.manager.observe([observation(h.city, 'gas-c', T0, { ch4: 3 })], T0);
    expect(h.fake.observed.map((o) => o.rule)).toEqual(['gas']);
  });

  it('resolves the open alerts of a removed rule with a note, and lists rules with their active counts, selector, metric and levels', () => {
    const h = harness({ rules: [floodRule(), gasRule(), compositeRule()] });
    const m = h.manager;
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    h.deliver('flood', cond(h.city, 'wl-b', 'pending'), T0);
    h.deliver('gas', cond(h.city, 'gas-c', 'active', { ch4: 30 }), T0);
    expect(m.rulesStatus()).toEqual([
      { id: 'flood', kind: 'threshold', severity: 'red', devices: 2, active: 2, lastEvaluation: T0, match: { kind: 'water_level' }, metric: 'level_cm', levels: { above: 30 } },
      { id: 'gas', kind: 'threshold', severity: 'orange', devices: 1, active: 1, lastEvaluation: T0, match: { kind: 'gas' }, metric: 'ch4', levels: { above: 25 } },
      { id: 'incident', kind: 'composite', severity: 'red', devices: 0, active: 0, lastEvaluation: null, levels: {} },
    ]);
    const gas = only(open(m, 'gas'));

    m.setRules([floodRule()], T0 + MIN);
    expect(gas).toMatchObject({ state: 'resolved', resolvedBy: 'system', resolvedAt: T0 + MIN });
    const last = h.log.history(gas.id).at(-1)!;
    expect(last.type).toBe('resolved');
    expect(last.note).toContain('removed');
    expect(open(m, 'flood')).toHaveLength(2);
    const after = m.rulesStatus();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: 'flood', kind: 'threshold', severity: 'red', devices: 2, active: 2 });
  });
});

describe('AlertManager: alert texts in both languages', () => {
  const detail = { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 30, hold_ms: 0 } } as const;

  it('carries the detail as a key and parameters, the title and guidance in both languages, and the English default in message', () => {
    const h = harness({ rules: [floodRule('red', { message_zh: '下穿通道积水' })] });
    h.deliver('flood', { ...cond(h.city, 'wl-a', 'active', { level_cm: 36 }, 'level_cm 36.0 cm, above 30 cm'), text: detail }, T0);
    const a = only(open(h.manager));
    expect(a.text).toEqual({
      title: { en: 'Flooding', 'zh-CN': '下穿通道积水' }, detail,
      guidance: { en: 'Close the underpass.', 'zh-CN': '请到现场查看，并报告发现的情况。' },
    });
    expect(a.message).toBe('Flooding: level_cm 36.0 cm, above 30 cm');
    expect(a.guidance).toBe('Close the underpass.');
    // and it is what the log keeps
    expect(h.log.history(a.id)[0]!.alert.text).toEqual(a.text);
  });

  it('gives a rule without words a generated title in both languages (the English one leads message)', () => {
    const h = harness({ rules: [rule({ id: 'high-water', kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm', above: 30, severity: 'yellow' })] });
    h.deliver('high-water', { ...cond(h.city, 'wl-a', 'active', { level_cm: 36 }, 'level_cm 36.0 cm, above 30 cm'), text: detail }, T0);
    const a = only(open(h.manager));
    expect(a.text!.title).toEqual({ en: 'Level above 30', 'zh-CN': '水位高于 30' });
    expect(a.message).toBe('Level above 30: level_cm 36.0 cm, above 30 cm');
  });

  it('restores an alert recorded by the old code (no text) from alerts.db and keeps serving it as it was', () => {
    const h = harness();
    const old = {
      id: 'old-1', rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
      message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
      startedAt: T0, firedAt: T0, updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
      escalation: 0, assignees: ['gw-c-a'], ackDeadline: T0 + 5 * MIN, suppressed: false,
    };
    // written as the old code wrote it: the row's JSON has no `text`
    h.log.close();
    const db = new Database(h.logPath);
    db.prepare('INSERT INTO alert_events (alert_id, ts, type, actor, note, alert) VALUES (?, ?, ?, ?, ?, ?)').run('old-1', T0, 'firing', 'system', null, JSON.stringify(old));
    db.close();
    const h2 = h.restart(T0 + MIN);
    const a = h2.manager.get('old-1')!;
    expect(a).toMatchObject({ message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', state: 'firing' });
    expect(a.text).toBeUndefined();
    // its condition, still true, then gives it the structured text
    h2.deliver('flood', { ...cond(h2.city, 'wl-a', 'active', { level_cm: 36 }, 'level_cm 36.0 cm, above 30 cm'), text: detail }, T0 + 2 * MIN);
    expect(h2.manager.get('old-1')!.text!.detail).toEqual(detail);
  });
});
