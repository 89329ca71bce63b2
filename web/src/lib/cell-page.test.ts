// Proves a cell's page's rules: its link round-trips, recent alerts are the cell's of the last 7 days newest first, a cell
// without alerts has no score, camera events count by type, and pages stay within the list.
import type { Alert, Score } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { cameraCounts, cellHref, pageOf, parseCellId, RECENT_MS, recentAlerts, scoreOf } from './cell-page';

describe('cell links', () => {
  it('reads the cell id back from the link it makes', () => {
    expect(cellHref('wuchang-006')).toBe('#/cells/wuchang-006');
    expect(parseCellId(cellHref('wuchang-006'))).toBe('wuchang-006');
    expect(parseCellId('#/cells/a%20b?x=1')).toBe('a b');
    expect(parseCellId('#/cells/')).toBeNull();
    expect(parseCellId('#/cells/%E0%A4%A')).toBeNull();
    expect(parseCellId('#/devices/wl-0001')).toBeNull();
  });
});

const alert = (id: string, grid: string, startedAt: number, firedAt?: number) => ({ id, grid, startedAt, firedAt }) as Alert;

describe('recentAlerts', () => {
  it("keeps the cell's alerts of the last 7 days, newest first", () => {
    const now = 10 * RECENT_MS;
    const list = [
      alert('old', 'c1', now - RECENT_MS - 1),
      alert('edge', 'c1', now - RECENT_MS),
      alert('new', 'c1', now - 1000),
      alert('fired-late', 'c1', now - RECENT_MS - 5000, now - 2000), // pending long ago, fired within the week
      alert('other', 'c2', now - 1000),
    ];
    expect(recentAlerts(list, 'c1', now).map((a) => a.id)).toEqual(['new', 'fired-late', 'edge']);
  });
});

describe('scoreOf', () => {
  it("picks the cell's score, and none for a cell without alerts", () => {
    const s = { id: 'c1', alerts: 3 } as Score;
    expect(scoreOf([s], 'c1')).toBe(s);
    expect(scoreOf([s], 'c2')).toBeNull();
  });
});

describe('cameraCounts', () => {
  it('counts detections and counted things per type, most frequent first', () => {
    expect(cameraCounts([
      { type: 'illegal_parking', count: 2 }, { type: 'crowding', count: 40 }, { type: 'illegal_parking' }, { type: 'illegal_parking', count: 1 },
    ])).toEqual([
      { type: 'illegal_parking', events: 3, count: 4 },
      { type: 'crowding', events: 1, count: 40 },
    ]);
    expect(cameraCounts([])).toEqual([]);
  });
});

describe('pageOf', () => {
  it('slices a page and keeps the page within the list', () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    expect(pageOf(items, 0, 10)).toEqual({ items: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], page: 0, pages: 3 });
    expect(pageOf(items, 2, 10)).toEqual({ items: [20, 21, 22, 23, 24], page: 2, pages: 3 });
    expect(pageOf(items, 7, 10).page).toBe(2);
    expect(pageOf(items, -1, 10).page).toBe(0);
    expect(pageOf([], 0, 10)).toEqual({ items: [], page: 0, pages: 1 });
  });
});
