// Proves Routing's acknowledge deadlines (defaults by warning colour, people.yaml overrides) and who must act at each escalation level.
import { afterEach, describe, expect, it } from 'vitest';
import { loadCity } from '@citygrid/contract/node';
import { Routing } from './routing.js';
import { DEVICES, GRID, MIN, PASSWORD_HASH, cleanupDirs, makeCity, writeDir } from './test-fixtures.js';

afterEach(() => cleanupDirs());

describe('Routing: acknowledge deadlines', () => {
  it('defaults to red 5 min, orange 15 min, yellow 30 min, blue 120 min', () => {
    const r = new Routing(makeCity());
    expect(r.deadline('red')).toBe(5 * MIN);
    expect(r.deadline('orange')).toBe(15 * MIN);
    expect(r.deadline('yellow')).toBe(30 * MIN);
    expect(r.deadline('blue')).toBe(120 * MIN);
  });

  it('takes the deadlines people.yaml gives and keeps the defaults for the others', () => {
    const r = new Routing(makeCity({ red: '2m', blue: '4h' }));
    expect(r.deadline('red')).toBe(2 * MIN);
    expect(r.deadline('orange')).toBe(15 * MIN);
    expect(r.deadline('yellow')).toBe(30 * MIN);
    expect(r.deadline('blue')).toBe(240 * MIN);
  });

  it('uses the defaults for a city without people.yaml', () => {
    const city = loadCity(writeDir({ 'grid.geojson': GRID, 'devices.yaml': DEVICES }));
    const r = new Routing(city);
    expect(r.deadline('red')).toBe(5 * MIN);
    expect(r.assignees('c-a', 'east', 0)).toEqual([]);
    expect(r.assignees('c-a', 'east', 2)).toEqual([]);
  });
});

describe('Routing: assignees by escalation level', () => {
  it('level 0 is the cell\'s grid workers, 1 the district supervisor, 2 the control room (operators and admins)', () => {
    const r = new Routing(makeCity());
    expect(r.assignees('c-a', 'east', 0)).toEqual(['gw-c-a']);
    expect(r.assignees('c-b', 'east', 0)).toEqual(['gw-c-b']);
    expect(r.assignees('c-c', 'west', 0)).toEqual(['gw-c-c']);
    expect(r.assignees('c-a', 'east', 1)).toEqual(['sup-east']);
    expect(r.assignees('c-c', 'west', 1)).toEqual(['sup-west']);
    expect(r.assignees('c-a', 'east', 2)).toEqual(['operator', 'admin']);
    expect(r.assignees('c-c', 'west', 2)).toEqual(['operator', 'admin']);
  });

  it('lists every worker of a cell, and nobody for an unknown cell', () => {
    const user = (username: string, extra: Record<string, unknown>) => ({ username, name: username, role: 'gridworker', password_hash: PASSWORD_HASH, ...extra });
    const city = loadCity(writeDir({
      'grid.geojson': GRID,
      'devices.yaml': DEVICES,
      'people.yaml': { users: [user('w1', { grids: ['c-a', 'c-b'] }), user('w2', { grids: ['c-a'] }), user('s1', { districts: ['east', 'west'] })] },
    }));
    const r = new Routing(city);
    expect(r.assignees('c-a', 'east', 0)).toEqual(['w1', 'w2']);
    expect(r.assignees('c-b', 'east', 0)).toEqual(['w1']);
    expect(r.assignees('c-c', 'west', 0)).toEqual([]);
    expect(r.assignees('c-c', 'west', 1)).toEqual(['s1']);
    expect(r.assignees('c-zz', 'nowhere', 0)).toEqual([]);
  });

  it('describes each level in plain words', () => {
    const r = new Routing(makeCity());
    expect(r.describe(0)).toContain('grid workers');
    expect(r.describe(1)).toContain('supervisor');
    expect(r.describe(2)).toContain('control room');
  });
});
