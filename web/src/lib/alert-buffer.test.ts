// Proves the live alert buffer: events coalesce to the newest per alert within a batch, stale
// events never win, new arrivals are reported once, and resolved alerts linger, then go.
import type { Alert, AlertSocketEvent } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { createAlertBuffer, RESOLVED_LINGER_MS } from './alert-buffer';

const T0 = 1_800_000_000_000;
function alert(id: string, p: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'r', ruleKind: 'threshold', severity: 'red', key: id, devices: [], grid: 'g', district: 'd', message: 'm', guidance: 'g',
    values: {}, state: 'firing', startedAt: T0, firedAt: T0, updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null,
    resolvedBy: null, escalation: 0, assignees: [], ackDeadline: T0 + 300_000, suppressed: false, ...p,
  };
}
const ev = (event: AlertSocketEvent['event'], a: Alert): AlertSocketEvent => ({ event, actor: 'system', note: null, alert: a });

describe('createAlertBuffer', () => {
  it('applies a burst of events for one alert as its newest state, in one batch', () => {
    const b = createAlertBuffer();
    b.push(ev('firing', alert('a')));
    b.push(ev('escalated', alert('a', { updatedAt: T0 + 10, escalation: 1 })));
    b.push(ev('acknowledged', alert('a', { updatedAt: T0 + 20, state: 'acknowledged' })));
    expect(b.buffered).toBe(1);
    expect(b.size).toBe(0);
    const r = b.flush(T0 + 30);
    expect(r.changed).toBe(true);
    expect(b.get('a')).toMatchObject({ state: 'acknowledged', escalation: 0 });
    expect(r.arrivals.map((a) => a.id)).toEqual(['a']);
    expect(b.flush(T0 + 40)).toEqual({ changed: false, arrivals: [] });
  });

  it('ignores an event older than what it has', () => {
    const b = createAlertBuffer();
    b.reset([alert('a', { updatedAt: T0 + 100, state: 'acknowledged' })]);
    b.push(ev('updated', alert('a', { updatedAt: T0 + 50 })));
    b.flush(T0 + 200);
    expect(b.get('a')!.state).toBe('acknowledged');
  });

  it('reports arrivals only for newly firing, unsuppressed alerts still open after the batch', () => {
    const b = createAlertBuffer();
    b.push(ev('firing', alert('quiet', { suppressed: true })));
    b.push(ev('updated', alert('old')));
    b.push(ev('firing', alert('gone')));
    b.push(ev('resolved', alert('gone', { updatedAt: T0 + 5, state: 'resolved', resolvedAt: T0 + 5 })));
    b.push(ev('reopened', alert('back')));
    expect(b.flush(T0 + 10).arrivals.map((a) => a.id)).toEqual(['back']);
  });

  it('keeps resolved alerts across a snapshot for a while, then drops them', () => {
    const b = createAlertBuffer();
    b.push(ev('resolved', alert('done', { state: 'resolved', resolvedAt: T0 })));
    b.flush(T0);
    b.reset([alert('open')]);
    expect(b.get('done')?.state).toBe('resolved');
    expect(b.prune(T0 + RESOLVED_LINGER_MS - 1)).toBe(false);
    expect(b.prune(T0 + RESOLVED_LINGER_MS + 1)).toBe(true);
    expect([...b.values()].map((a) => a.id)).toEqual(['open']);
  });
});
