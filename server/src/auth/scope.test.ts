// Proves the one read scope shared by Socket.IO and REST: viewers, operators and admins read the whole city; a grid worker their own cells, supervised districts and alerts assigned to them, with store filters that cover exactly that.
import { describe, expect, it } from 'vitest';
import type { UserView } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import { readScope } from './scope.js';

const city = {
  cellsById: new Map([['c-1', { id: 'c-1', district: 'east' }], ['c-2', { id: 'c-2', district: 'east' }], ['c-3', { id: 'c-3', district: 'west' }], ['c-4', { id: 'c-4', district: 'north' }]]),
  districts: [{ id: 'east' }, { id: 'west' }, { id: 'north' }],
  devicesById: new Map([['wl-1', { id: 'wl-1', grid: 'c-1', district: 'east' }], ['wl-2', { id: 'wl-2', grid: 'c-2', district: 'east' }], ['wl-3', { id: 'wl-3', grid: 'c-3', district: 'west' }]]),
} as unknown as City;
const user = (role: UserView['role'], grids: string[] = [], districts: string[] = []): UserView => ({ username: `u-${role}`, name: 'U', role, grids, districts });
const alert = (grid: string, district: string, assignees: string[] = []) => ({ grid, district, assignees });

describe('readScope', () => {
  it('gives viewers, operators and admins the whole city', () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const s = readScope(user(role), city);
      expect(s.cityWide).toBe(true);
      expect(s.cell('c-3', 'west') && s.device('wl-3') && s.alert(alert('c-3', 'west')) && s.grid('c-4')).toBe(true);
      expect(s.device('ghost')).toBe(false);
      expect(s.filters({ grid: 'c-3' })).toEqual([{ grid: 'c-3' }]);
      expect(s.filters({})).toEqual([{}]);
    }
  });

  it("limits a grid worker to their own cells and alerts assigned to them", () => {
    const s = readScope(user('gridworker', ['c-1']), city);
    expect(s.cityWide).toBe(false);
    expect([s.cell('c-1', 'east'), s.device('wl-1'), s.grid('c-1'), s.alert(alert('c-1', 'east'))]).toEqual([true, true, true, true]);
    expect([s.cell('c-2', 'east'), s.device('wl-2'), s.device('wl-3'), s.device('ghost'), s.device(null), s.grid('c-2'), s.grid('nope'), s.district('east')]).toEqual([false, false, false, false, false, false, false, false]);
    expect(s.alert(alert('c-3', 'west'))).toBe(false);
    expect(s.alert(alert('c-3', 'west', ['u-gridworker']))).toBe(true); // escalated to them: their user room has it too
  });

  it('gives a supervisor every cell of their district', () => {
    const s = readScope(user('gridworker', ['c-3'], ['east']), city);
    expect([s.cell('c-2', 'east'), s.device('wl-2'), s.grid('c-2'), s.district('east'), s.device('wl-3')]).toEqual([true, true, true, true, true]);
    expect([s.grid('c-4'), s.district('west')]).toEqual([false, false]);
  });

  it('narrows store filters to the scope: [] when nothing asked for is theirs', () => {
    const s = readScope(user('gridworker', ['c-1', 'c-3'], ['east']), city);
    expect(s.filters({})).toEqual([{ grid: 'c-3' }, { district: 'east' }]); // c-1 is inside east already
    expect(s.filters({ grid: 'c-2' })).toEqual([{ grid: 'c-2' }]);
    expect(s.filters({ grid: 'c-4' })).toEqual([]);
    expect(s.filters({ grid: 'nope' })).toEqual([]);
    expect(s.filters({ grid: 'c-3', district: 'east' })).toEqual([]);
    expect(s.filters({ district: 'east' })).toEqual([{ district: 'east' }]);
    expect(s.filters({ district: 'west' })).toEqual([{ grid: 'c-3' }]);
    expect(s.filters({ district: 'north' })).toEqual([]);
    expect(readScope(user('gridworker'), city).filters({})).toEqual([]);
  });
});
