// Proves the closed loop in the AlertManager (issue 15 steps 1-2): dispatch by hand restarts both
// deadlines and hands the alert to a named person; the assignee's "done" leaves a red or orange alert
// handled, awaiting verification (per colour, from people.yaml), a supervisor verifies (closes) or
// sends it back; a handled alert waits for a person even when its condition clears; a restart keeps it.
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import type { AlertManager } from './alert-manager.js';
import { MIN, SEC, T0, cityFiles, cleanupDirs, codeOf, cond, floodRule, harness, observation, writeDir } from './test-fixtures.js';

afterEach(() => cleanupDirs());

const H = 60 * MIN;
const firing = (m: AlertManager): Alert => {
  const list = m.list({ active: true, limit: 10 });
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe('AlertManager: the closed loop', () => {
  it('runs raised -> dispatched -> acknowledged -> handled -> sent back -> handled -> verified, with who and when', () => {
    const h = harness();
    const { city, manager: m, log } = h;
    h.deliver('flood', cond(city, 'wl-a', 'active', { level_cm: 36 }), T0);
    const a = firing(m);
    expect(a).toMatchObject({ state: 'firing', assignees: ['gw-c-a'], resolveDeadline: T0 + 2 * H, handledAt: null });

    m.dispatch(a.id, 'operator', 'gw-c-c', 'the pump crew is in c-c', T0 + 3 * MIN);
    expect(a).toMatchObject({ state: 'firing', assignees: ['gw-c-c'], escalation: 0, dispatchedBy: 'operator', dispatchedAt: T0 + 3 * MIN,
      ackDeadline: T0 + 8 * MIN, resolveDeadline: T0 + 3 * MIN + 2 * H });

    m.acknowledge(a.id, 'gw-c-c', 'on my way', T0 + 4 * MIN);
    m.handle(a.id, 'gw-c-c', 'pump started', T0 + 30 * MIN);
    expect(a).toMatchObject({ state: 'handled', handledBy: 'gw-c-c', handledAt: T0 + 30 * MIN, resolvedAt: null });
    expect(m.activeCount().red).toBe(1); // still open: it waits for its verification

    m.sendBack(a.id, 'sup-east', 'water still over the kerb', T0 + 40 * MIN);
    expect(a).toMatchObject({ state: 'acknowledged', handledAt: null, handledBy: null });
    m.handle(a.id, 'gw-c-c', 'second pump, drain cleared', T0 + 60 * MIN);
    m.verify(a.id, 'sup-east', 'checked on site', T0 + 70 * MIN);
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'sup-east', resolvedAt: T0 + 70 * MIN, handledBy: 'gw-c-c', handledAt: T0 + 60 * MIN });

    const history = log.history(a.id);
    expect(history.map((e) => [e.type, e.actor, e.ts - T0])).toEqual([
      ['firing', 'system', 0], ['dispatched', 'operator', 3 * MIN], ['acknowledged', 'gw-c-c', 4 * MIN], ['handled', 'gw-c-c', 30 * MIN],
      ['sent_back', 'sup-east', 40 * MIN], ['handled', 'gw-c-c', 60 * MIN], ['verified', 'sup-east', 70 * MIN],
    ]);
    expect(history.map((e) => e.note)).toEqual([expect.any(String), 'the pump crew is in c-c', 'on my way', 'pump started', 'water still over the kerb', 'second pump, drain cleared', 'checked on site']);
    expect(history[1]!.alert.assignees).toEqual(['gw-c-c']);
    expect(h.typesOf(a.id)).toEqual(history.map((e) => e.type));
  });

  it('closes a yellow or blue alert at once when its assignee says it is handled', () => {
    const h = harness({ rules: [floodRule('yellow')] });
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = firing(h.manager);
    expect(a.resolveDeadline).toBe(T0 + 24 * H);
    h.manager.handle(a.id, 'gw-c-a', 'cleared the drain', T0 + MIN);
    expect(a).toMatchObject({ state: 'resolved', resolvedBy: 'gw-c-a', handledBy: 'gw-c-a', handledAt: T0 + MIN });
    expect(h.typesOf(a.id)).toEqual(['firing', 'resolved']);
  });

  it('takes the verified colours and resolve deadlines from people.yaml', () => {
    const files = cityFiles();
    const people = files['people.yaml'] as Record<string, unknown>;
    const city = loadCity(writeDir({ ...files, 'people.yaml': { ...people, verify: ['yellow'], resolve_deadlines: { yellow: '30m' } } }));
    const red = harness({ city });
    red.deliver('flood', cond(city, 'wl-a', 'active'), T0);
    expect(red.manager.handle(firing(red.manager).id, 'gw-c-a', 'done', T0 + MIN).state).toBe('resolved'); // red is not verified here
    const yellow = harness({ city, rules: [floodRule('yellow')] });
    yellow.deliver('flood', cond(city, 'wl-a', 'active'), T0);
    const a = firing(yellow.manager);
    expect(a.resolveDeadline).toBe(T0 + 30 * MIN);
    expect(yellow.manager.handle(a.id, 'gw-c-a', 'done', T0 + MIN).state).toBe('handled');
  });

  it('keeps a handled alert for its verification when the condition clears, and across a restart', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = firing(h.manager);
    h.manager.handle(a.id, 'gw-c-a', 'pump started', T0 + MIN);
    h.deliver('flood', cond(h.city, 'wl-a', 'clear', { level_cm: 10 }), T0 + 2 * MIN);
    h.manager.tick(T0 + 10 * MIN);
    expect(h.manager.get(a.id)!.state).toBe('handled');
    const again = h.restart(T0 + 11 * MIN);
    again.deliver('flood', cond(again.city, 'wl-b', 'active'), T0 + 11 * MIN + SEC); // wl-a reports nothing: its alert stays unconfirmed
    again.manager.observe([observation(again.city, 'wl-a', T0 + 12 * MIN)], T0 + 12 * MIN);
    again.manager.tick(T0 + 13 * MIN); // a restored alert of a device that reports, unconfirmed for 60 s, closes by itself, but not a handled one
    expect(again.manager.get(a.id)).toMatchObject({ state: 'handled', handledBy: 'gw-c-a' });
    again.manager.verify(a.id, 'sup-east', null, T0 + 14 * MIN);
    expect(again.manager.get(a.id)!.state).toBe('resolved');
  });

  it('refuses what does not fit: verify or send back an alert not handled, dispatch to nobody, send back without a note', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = firing(h.manager);
    expect(codeOf(() => h.manager.verify(a.id, 'sup-east', null, T0 + SEC))).toBe('NOT_HANDLED');
    expect(codeOf(() => h.manager.sendBack(a.id, 'sup-east', 'no', T0 + SEC))).toBe('NOT_HANDLED');
    expect(codeOf(() => h.manager.dispatch(a.id, 'operator', 'nobody', null, T0 + SEC))).toBe('UNKNOWN_PERSON');
    expect(codeOf(() => h.manager.dispatch(a.id, 'operator', 'viewer', null, T0 + SEC))).toBe('UNKNOWN_PERSON'); // a viewer may not act
    expect(codeOf(() => h.manager.handle(a.id, 'gw-c-a', ' ', T0 + SEC))).toBe('NOTE_REQUIRED');
    h.manager.handle(a.id, 'gw-c-a', 'done', T0 + SEC);
    expect(codeOf(() => h.manager.sendBack(a.id, 'sup-east', '', T0 + 2 * SEC))).toBe('NOTE_REQUIRED');
    h.manager.verify(a.id, 'sup-east', null, T0 + 3 * SEC);
    expect(codeOf(() => h.manager.dispatch(a.id, 'operator', 'gw-c-b', null, T0 + 4 * SEC))).toBe('ALERT_RESOLVED');
  });

  it('escalates a dispatched alert its new assignee leaves unacknowledged, from the dispatch', () => {
    const h = harness();
    h.deliver('flood', cond(h.city, 'wl-a', 'active'), T0);
    const a = firing(h.manager);
    h.manager.dispatch(a.id, 'operator', 'gw-c-b', null, T0 + 4 * MIN);
    h.manager.tick(T0 + 6 * MIN); // past the first deadline, not past the restarted one
    expect(a.escalation).toBe(0);
    h.manager.tick(T0 + 9 * MIN + SEC);
    expect(a).toMatchObject({ escalation: 1, assignees: ['sup-east'] });
  });
});

describe('an alert page\'s history', () => {
  it('keeps the first 100 and the latest 400 events of a long episode, and says how many it left out', async () => {
    const { boundHistory } = await import('./service.js');
    const all = Array.from({ length: 1234 }, (_, i) => i);
    const { history, omitted } = boundHistory(all);
    expect(history).toHaveLength(500);
    expect(history.slice(0, 100)).toEqual(all.slice(0, 100));
    expect(history.slice(100)).toEqual(all.slice(-400));
    expect(omitted).toBe(734);
    expect(boundHistory(all.slice(0, 500))).toEqual({ history: all.slice(0, 500) });
  });
});
