import type { MaintenanceWindow } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { deviceWindow, inForce, kindOf, START_SLACK_MS, targetOf } from './maintenance';

const M = 60_000;

const w = (id: string, target: MaintenanceWindow['target'], from: number, until: number): MaintenanceWindow => ({ id, target, by: 'operator', reason: 'r', from, until });

describe('maintenance windows in force', () => {
  const windows = [
    w('a', { grid: 'c-1' }, 0, 100 * M),
    w('b', { device: 'wl-9' }, 50 * M, 150 * M),
    w('c', { rule: 'flood' }, 200 * M, 300 * M), // later
  ];

  it('names what a window applies to', () => {
    expect(windows.map((x) => [kindOf(x), targetOf(x)])).toEqual([['grid', 'c-1'], ['device', 'wl-9'], ['rule', 'flood']]);
  });

  it('counts a window from its start (a server clock a little ahead allowed) to its end (exclusive)', () => {
    const at = (t: number) => { const f = inForce(windows, t); return [...f.grid.keys(), ...f.device.keys(), ...f.rule.keys()]; };
    expect(at(0)).toEqual(['c-1']);
    expect(at(50 * M - START_SLACK_MS - 1)).toEqual(['c-1']);
    expect(at(50 * M - START_SLACK_MS)).toEqual(['c-1', 'wl-9']);
    expect(at(100 * M)).toEqual(['wl-9']);
    expect(at(150 * M)).toEqual([]);
    expect(at(250 * M)).toEqual(['flood']);
  });

  it('puts a device under its own window or its cell\'s', () => {
    const f = inForce(windows, 60 * M);
    expect(deviceWindow(f, { id: 'wl-1', grid: 'c-1' })?.id).toBe('a');
    expect(deviceWindow(f, { id: 'wl-9', grid: 'c-2' })?.id).toBe('b');
    expect(deviceWindow(f, { id: 'wl-2', grid: 'c-2' })).toBeUndefined();
  });
});
