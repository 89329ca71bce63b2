// Proves which rooms a user's socket joins: everyone else watches `all`; a grid worker only their own
// cells, districts and user room, and `subscribe` may only narrow within those.
import { describe, expect, it } from 'vitest';
import type { UserView } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import { checkSubscribe, defaultRooms } from './socket-scope.js';

const city = {
  cellsById: new Map([['c-1', { id: 'c-1', district: 'east' }], ['c-2', { id: 'c-2', district: 'east' }], ['c-3', { id: 'c-3', district: 'west' }]]),
  districts: [{ id: 'east' }, { id: 'west' }],
  devicesById: new Map([['wl-1', { id: 'wl-1', grid: 'c-1', district: 'east' }], ['wl-3', { id: 'wl-3', grid: 'c-3', district: 'west' }]]),
} as unknown as City;
const user = (role: UserView['role'], grids: string[] = [], districts: string[] = []): UserView => ({ username: `u-${role}`, name: 'U', role, grids, districts });

describe('defaultRooms', () => {
  it('puts viewers, operators and admins in all, a grid worker in their own rooms only', () => {
    expect(defaultRooms(user('viewer'))).toEqual(['all', 'user:u-viewer']);
    expect(defaultRooms(user('gridworker', ['c-1'], ['west']))).toEqual(['grid:c-1', 'district:west', 'user:u-gridworker']);
  });
});

describe('checkSubscribe', () => {
  const gw = user('gridworker', ['c-1']);

  it('lets a grid worker narrow to their own cell or device, and maps {} to their own rooms', () => {
    expect(checkSubscribe({}, city, gw)).toEqual({ rooms: ['grid:c-1', 'user:u-gridworker'] });
    expect(checkSubscribe({ grid: 'c-1' }, city, gw)).toEqual({ rooms: ['grid:c-1', 'user:u-gridworker'] });
    expect(checkSubscribe({ device: 'wl-1' }, city, gw)).toEqual({ rooms: ['device:wl-1', 'user:u-gridworker'] });
  });

  it("refuses a grid worker another cell, district or device", () => {
    for (const req of [{ grid: 'c-2' }, { district: 'east' }, { device: 'wl-3' }]) {
      const result = checkSubscribe(req, city, gw);
      expect(result).toEqual({ error: expect.stringContaining('only their own cells') });
    }
  });

  it("gives a grid worker one answer for another cell's device and an unknown one (no oracle of what exists)", () => {
    const foreign = checkSubscribe({ device: 'wl-3' }, city, gw);
    const unknown = checkSubscribe({ device: 'ghost-9' }, city, gw);
    expect(foreign).toEqual({ error: expect.stringContaining('device wl-3 is not one of them') });
    expect(unknown).toEqual({ error: (foreign as { error: string }).error.replace('wl-3', 'ghost-9') });
    expect(checkSubscribe({ device: 'ghost-9' }, city, user('operator'))).toEqual({ error: 'unknown device "ghost-9"' });
  });

  it('lets a supervisor watch any cell of their district', () => {
    const sup = user('gridworker', [], ['east']);
    expect(checkSubscribe({ grid: 'c-2' }, city, sup)).toEqual({ rooms: ['grid:c-2', 'user:u-gridworker'] });
    expect('error' in checkSubscribe({ grid: 'c-3' }, city, sup)).toBe(true);
  });

  it('lets an operator watch anything, and refuses unknown names and fields', () => {
    const op = user('operator');
    expect(checkSubscribe({}, city, op)).toEqual({ rooms: ['all', 'user:u-operator'] });
    expect(checkSubscribe({ district: 'west' }, city, op)).toEqual({ rooms: ['district:west', 'user:u-operator'] });
    expect(checkSubscribe({ grid: 'nope' }, city, op)).toEqual({ error: 'unknown grid "nope"' });
    expect(checkSubscribe({ room: 'all' }, city, op)).toEqual({ error: 'unknown field(s): room' });
    expect(checkSubscribe(null, city, op)).toEqual({ error: expect.stringContaining('expects an object') });
  });
});
