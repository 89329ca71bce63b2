// Proves the retention runner works in batches (yielding to the event loop between them, never one long
// run), counts each batch, logs the totals once, survives a failing task, and stops; and that the
// anonymising helpers keep 'system', times and steps while removing who acted and what they wrote.
import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { Alert } from '@citygrid/contract';
import { anonymiseAlert, anonymiseEntry, startRetention } from './retention.js';

describe('startRetention', () => {
  it('runs each task in batches at start, letting the event loop in between, and counts and logs what they did', async () => {
    const order: string[] = [];
    let left = 3;
    const counted: [string, string, number][] = [];
    const logger = pino({ level: 'silent' });
    const info = vi.spyOn(logger, 'info');
    const warn = vi.spyOn(logger, 'warn');
    setImmediate(() => order.push('other work'));
    const r = startRetention({
      logger, everyMs: 3_600_000,
      count: (store, kind, n) => counted.push([store, kind, n]),
      tasks: [
        { name: 'broken', start: () => () => { throw new Error('disk gone'); } },
        { name: 'alerts.db', start: () => () => { order.push(`batch ${left}`); left--; return { counts: { events: 10, notes: 0 }, more: left > 0 }; } },
      ],
    });
    await r.run();
    expect(order.slice(0, 2)).toEqual(['batch 3', 'other work']); // the first batch at once, then others' turn
    expect(order.filter((o) => o.startsWith('batch'))).toEqual(['batch 3', 'batch 2', 'batch 1']);
    expect(counted).toEqual([['alerts.db', 'events', 10], ['alerts.db', 'events', 10], ['alerts.db', 'events', 10]]);
    expect(info).toHaveBeenCalledWith({ store: 'alerts.db', events: 30, notes: 0 }, expect.stringContaining('retention'));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ store: 'broken' }), expect.stringContaining('failed'));
    r.stop();
  });

  it('stops between batches', async () => {
    let batches = 0;
    const r = startRetention({ logger: pino({ level: 'silent' }), tasks: [{ name: 't', start: () => () => { batches++; return { counts: {}, more: true }; } }] });
    r.stop();
    await r.run();
    expect(batches).toBe(1);
  });
});

describe('anonymising', () => {
  const T = 1_000_000;
  it('removes the actor and note of an entry older than the cutoff, and keeps the system and newer entries', () => {
    expect(anonymiseEntry({ ts: T, actor: 'wang-wei', note: 'told Zhang San' }, T + 1, 30)).toEqual({ ts: T, actor: '(removed after 30 days)', note: '(note removed after 30 days)' });
    expect(anonymiseEntry({ ts: T, actor: 'system', note: 'not acknowledged in time' }, T + 1, 30)).toEqual({ ts: T, actor: 'system', note: '(note removed after 30 days)' });
    const fresh = { ts: T, actor: 'wang-wei', note: 'x' };
    expect(anonymiseEntry(fresh, T, 30)).toBe(fresh);
  });
  it('removes from an alert only who acted before the cutoff', () => {
    const a = { acknowledgedAt: T, acknowledgedBy: 'wang-wei', resolvedAt: T + 10, resolvedBy: 'li-na', handledAt: null, handledBy: null, dispatchedAt: T, dispatchedBy: 'system' } as unknown as Alert;
    expect(anonymiseAlert(a, T + 5, 7)).toMatchObject({ acknowledgedAt: T, acknowledgedBy: '(removed after 7 days)', resolvedBy: 'li-na', dispatchedBy: 'system', handledBy: null });
    expect(anonymiseAlert(a, T, 7)).toBe(a);
  });
});
