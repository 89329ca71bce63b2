// Proves the cell roll-up the server (GET /api/grid) and the dashboard's map share: the worst
// condition among online devices, 'offline' when none is online, 'none' without devices, with counts.
import { describe, expect, it } from 'vitest';
import { rollUpCells } from './api.js';

describe('rollUpCells', () => {
  it('rolls each cell up from its devices, by the one rule', () => {
    const cells = rollUpCells(['a', 'b', 'c', 'd'], [
      { grid: 'a', online: true, condition: 'ok' },
      { grid: 'a', online: true, condition: 'alarm' },
      { grid: 'a', online: false, condition: 'alarm' }, // offline devices do not count for the condition
      { grid: 'a', online: true, condition: 'warn' },
      { grid: 'b', online: false, condition: 'warn' },
      { grid: 'c', online: true, condition: 'ok' },
      { grid: 'elsewhere', online: true, condition: 'alarm' },
    ]);
    expect(Object.fromEntries(cells)).toEqual({
      a: { devices: 4, online: 3, condition: 'alarm', alarm: 1, warn: 1 },
      b: { devices: 1, online: 0, condition: 'offline', alarm: 0, warn: 0 },
      c: { devices: 1, online: 1, condition: 'ok', alarm: 0, warn: 0 },
      d: { devices: 0, online: 0, condition: 'none', alarm: 0, warn: 0 },
    });
  });
});
