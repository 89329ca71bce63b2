// Proves an alert page's pure parts: the chart's window around the episode, the timeline rows with
// people's names (the system has none; dispatches name whom), and camera events counted by type.
import { describe, expect, it } from 'vitest';
import { cameraCounts, episodeWindow, timelineRows } from './alert-timeline';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

describe('episodeWindow', () => {
  it('pads a closed episode by a quarter of its length, at least 15 min, in buckets of a multiple of 15 s', () => {
    const w = episodeWindow({ startedAt: T0, resolvedAt: T0 + 4 * 60 * MIN, state: 'resolved' }, T0 + 10 * 60 * MIN);
    expect(w).toEqual({ from: T0 - 60 * MIN, to: T0 + 5 * 60 * MIN, step: '120s' });
    expect(episodeWindow({ startedAt: T0, resolvedAt: T0 + 10 * MIN, state: 'resolved' }, T0 + 60 * MIN)).toEqual({ from: T0 - 15 * MIN, to: T0 + 25 * MIN, step: '15s' });
  });
  it('runs an open one up to now', () => {
    const w = episodeWindow({ startedAt: T0, resolvedAt: null, state: 'handled' }, T0 + 40 * MIN);
    expect(w.to).toBe(T0 + 40 * MIN);
    expect(w.from).toBe(T0 - 15 * MIN);
  });
});

describe('timelineRows', () => {
  it('orders by sequence, names people, leaves the system unnamed and names whom a dispatch went to', () => {
    const rows = timelineRows([
      { seq: 3, ts: T0 + 2 * MIN, type: 'dispatched', actor: 'operator', note: 'nearest crew', to: ['gw-b'] },
      { seq: 1, ts: T0, type: 'firing', actor: 'system', note: 'level 36 cm' },
      { seq: 4, ts: T0 + 3 * MIN, type: 'acknowledged', actor: 'gone-user', note: null },
    ], [{ username: 'operator', name: 'Control room' }, { username: 'gw-b', name: '网格员 B' }]);
    expect(rows.map((r) => r.type)).toEqual(['firing', 'dispatched', 'acknowledged']);
    expect(rows[0]!.actor).toBeNull();
    expect(rows[1]).toMatchObject({ actor: { username: 'operator', name: 'Control room' }, to: [{ username: 'gw-b', name: '网格员 B' }], note: 'nearest crew' });
    expect(rows[2]!.actor).toEqual({ username: 'gone-user', name: 'gone-user' });
  });
});

describe('cameraCounts', () => {
  it('counts the window\'s events by type, by their counts, most first', () => {
    const counts = cameraCounts([
      { type: 'waterlogging', ts: T0, count: 2 }, { type: 'stalled_vehicle', ts: T0 + MIN, count: 1 },
      { type: 'waterlogging', ts: T0 + 2 * MIN, count: 1 }, { type: 'crowding', ts: T0 + 99 * MIN, count: 5 },
    ], T0, T0 + 10 * MIN);
    expect(counts).toEqual([{ type: 'waterlogging', count: 3 }, { type: 'stalled_vehicle', count: 1 }]);
  });
});
