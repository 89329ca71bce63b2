// Proves the live registry tracks each device's latest values, condition and online state, and derives every grid cell's status from them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadCity, type City } from '@citygrid/contract/node';
import { DeviceRegistry } from './device-registry.js';

const SECRET_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
const T0 = Date.UTC(2026, 4, 1, 8, 0);

function cell(id: string, district: string, lng: number) {
  const ring = [[lng, 30], [lng + 0.01, 30], [lng + 0.01, 30.01], [lng, 30.01], [lng, 30]];
  return { type: 'Feature', properties: { id, name: id, district }, geometry: { type: 'Polygon', coordinates: [ring] } };
}
const device = (id: string, kind: string, lng: number) => ({ id, kind, location: [lng + 0.005, 30.005], secret_hash: SECRET_HASH });

let dir: string;
let city: City;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'citygrid-registry-'));
  writeFileSync(join(dir, 'grid.geojson'), JSON.stringify({
    type: 'FeatureCollection',
    features: [cell('c-a', 'east', 114.0), cell('c-b', 'west', 114.01), cell('c-empty', 'west', 114.02), cell('c-off', 'east', 114.03)],
  }));
  writeFileSync(join(dir, 'devices.yaml'), stringify([
    { ...device('wl-1', 'water_level', 114.0), name: 'Underpass gauge' },
    device('mh-1', 'manhole_cover', 114.001),
    device('tr-1', 'traffic', 114.01),
    device('gas-1', 'gas', 114.03),
  ]));
  city = loadCity(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DeviceRegistry', () => {
  let registry: DeviceRegistry;
  beforeEach(() => {
    registry = new DeviceRegistry(city);
  });

  it('starts with every configured device offline and unseen', () => {
    expect(registry.counts()).toEqual({ online: 0, total: 4 });
    expect(registry.view('wl-1')).toEqual({
      id: 'wl-1', kind: 'water_level', name: 'Underpass gauge', grid: 'c-a', district: 'east', location: [114.005, 30.005],
      online: false, lastSeen: null, latest: {}, condition: 'ok',
    });
    expect(registry.get('tr-1')?.kind).toBe('traffic');
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.view('nope')).toBeUndefined();
    expect(registry.views().map((v) => v.id)).toEqual(['wl-1', 'mh-1', 'tr-1', 'gas-1']);
  });

  it('applyReadings updates latest values and condition, and brings the device online once', () => {
    const first = registry.applyReadings('wl-1', [{ device: 'wl-1', ts: T0, metrics: { level_cm: 10 } }], T0 + 50);
    expect(first).toEqual({ condition: 'ok', cameOnline: true });
    const second = registry.applyReadings('wl-1', [{ device: 'wl-1', ts: T0 + 1000, metrics: { level_cm: 35 } }], T0 + 1050);
    expect(second).toEqual({ condition: 'alarm', cameOnline: false });
    expect(registry.conditionOf('wl-1')).toBe('alarm');
    expect(registry.latestValues('wl-1')).toEqual({ level_cm: 35 });
    expect(registry.view('wl-1')).toMatchObject({ online: true, lastSeen: T0 + 1050, latest: { level_cm: { value: 35, ts: T0 + 1000 } } });
    expect(registry.counts()).toEqual({ online: 1, total: 4 });
  });

  it('keeps the newest value when an older reading arrives later, and merges metrics sent separately', () => {
    registry.applyReadings('tr-1', [{ device: 'tr-1', ts: T0 + 5000, metrics: { speed: 50 } }], T0 + 5000);
    registry.applyReadings('tr-1', [{ device: 'tr-1', ts: T0, metrics: { speed: 5, flow: 20 } }], T0 + 6000);
    expect(registry.latestValues('tr-1')).toEqual({ speed: 50, flow: 20 });
    expect(registry.conditionOf('tr-1')).toBe('ok');
    registry.applyReadings('tr-1', [
      { device: 'tr-1', ts: T0 + 6000, metrics: { speed: 15 } },
      { device: 'tr-1', ts: T0 + 7000, metrics: { speed: 6 } },
    ], T0 + 7000);
    expect(registry.conditionOf('tr-1')).toBe('alarm'); // traffic speed: low is bad
  });

  it('setStatus changes online state and counts only on a real change', () => {
    expect(registry.setStatus('wl-1', true)).toBe(true);
    expect(registry.setStatus('wl-1', true)).toBe(false);
    expect(registry.setStatus('tr-1', true)).toBe(true);
    expect(registry.counts().online).toBe(2);
    expect(registry.isOnline('wl-1')).toBe(true);
    expect(registry.setStatus('wl-1', false)).toBe(true);
    expect(registry.setStatus('wl-1', false)).toBe(false);
    expect(registry.counts()).toEqual({ online: 1, total: 4 });
    expect(registry.isOnline('wl-1')).toBe(false);
    expect(registry.isOnline('nope')).toBe(false);
  });

  it('touch() marks a device alive without changing its values', () => {
    expect(registry.touch('mh-1', T0)).toBe(true);
    expect(registry.touch('mh-1', T0 + 1)).toBe(false);
    expect(registry.view('mh-1')).toMatchObject({ online: true, lastSeen: T0 + 1, latest: {} });
  });

  it('gridStatus: none without devices, offline when all are offline, else the worst condition of online devices', () => {
    let status = registry.gridStatus();
    expect(status.get('c-empty')).toEqual({ devices: 0, online: 0, condition: 'none' });
    expect(status.get('c-a')).toEqual({ devices: 2, online: 0, condition: 'offline' });
    expect(status.get('c-off')).toEqual({ devices: 1, online: 0, condition: 'offline' });
    expect([...status.keys()].sort()).toEqual(['c-a', 'c-b', 'c-empty', 'c-off']);

    registry.applyReadings('wl-1', [{ device: 'wl-1', ts: T0, metrics: { level_cm: 20 } }], T0);
    expect(registry.gridStatus().get('c-a')).toEqual({ devices: 2, online: 1, condition: 'warn' });

    registry.applyReadings('mh-1', [{ device: 'mh-1', ts: T0, metrics: { open: true } }], T0);
    expect(registry.gridStatus().get('c-a')).toEqual({ devices: 2, online: 2, condition: 'alarm' });

    // an offline device's condition no longer colours its cell
    registry.setStatus('mh-1', false);
    expect(registry.gridStatus().get('c-a')).toEqual({ devices: 2, online: 1, condition: 'warn' });
    registry.setStatus('wl-1', false);
    status = registry.gridStatus();
    expect(status.get('c-a')).toEqual({ devices: 2, online: 0, condition: 'offline' });
  });

  it('seed() restores latest values from the store, booleans from 0/1, and the conditions they imply', () => {
    registry.seed([
      { device: 'mh-1', metric: 'open', ts: T0, value: 1 },
      { device: 'mh-1', metric: 'tilt_deg', ts: T0, value: 2 },
      { device: 'wl-1', metric: 'level_cm', ts: T0 + 10, value: 12 },
      { device: 'tr-1', metric: 'speed', ts: T0, value: 0 },
      { device: 'gone-1', metric: 'level_cm', ts: T0, value: 99 }, // no longer configured
      { device: 'wl-1', metric: 'pm25', ts: T0, value: 99 }, // not a metric of its kind
    ]);
    expect(registry.latestValues('mh-1')).toEqual({ open: true, tilt_deg: 2 });
    expect(registry.conditionOf('mh-1')).toBe('alarm');
    expect(registry.latestValues('wl-1')).toEqual({ level_cm: 12 });
    expect(registry.conditionOf('wl-1')).toBe('ok');
    expect(registry.view('wl-1')).toMatchObject({ lastSeen: T0 + 10, online: false });
    expect(registry.conditionOf('tr-1')).toBe('alarm');
    registry.seed([{ device: 'mh-1', metric: 'open', ts: T0 + 1, value: 0 }]);
    expect(registry.latestValues('mh-1').open).toBe(false);
    expect(registry.conditionOf('mh-1')).toBe('ok');
    // seeded values never overwrite newer live ones
    registry.seed([{ device: 'mh-1', metric: 'open', ts: T0 - 1, value: 1 }]);
    expect(registry.latestValues('mh-1').open).toBe(false);
  });

});
