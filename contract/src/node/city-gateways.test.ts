// Proves devices.yaml's `children:` makes gateways: each child is linked to its one gateway, and every wrong declaration (unknown child, own child, two gateways, nesting, too many) is refused with file, entry and field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_GATEWAY_CHILDREN } from '../topics.js';
import { CityConfigError, loadCity } from './city-loader.js';

const SECRET_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
const GRID = {
  type: 'FeatureCollection',
  features: [{
    type: 'Feature', properties: { id: 'c-a', name: 'Cell A', district: 'east' },
    geometry: { type: 'Polygon', coordinates: [[[114, 30], [114.01, 30], [114.01, 30.01], [114, 30.01], [114, 30]]] },
  }],
};
const device = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'water_level', location: [114.005, 30.005], secret_hash: SECRET_HASH, ...extra });

const dirs: string[] = [];
function cityDir(devices: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'citygrid-gw-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'grid.geojson'), JSON.stringify(GRID));
  writeFileSync(join(dir, 'devices.yaml'), stringify(devices));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function problems(devices: unknown[]): string[] {
  try {
    loadCity(cityDir(devices));
  } catch (err) {
    if (err instanceof CityConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a CityConfigError');
}

describe('gateways in devices.yaml', () => {
  it('links each child to its gateway; other devices have none', () => {
    const city = loadCity(cityDir([device('gw-1', { children: ['wl-1', 'wl-2'] }), device('wl-1'), device('wl-2'), device('wl-3')]));
    expect(city.devicesById.get('wl-1')!.gateway).toBe('gw-1');
    expect(city.devicesById.get('wl-2')!.gateway).toBe('gw-1');
    expect(city.devicesById.get('wl-3')!.gateway).toBeUndefined();
    expect(city.devicesById.get('gw-1')!.gateway).toBeUndefined();
    expect(city.devicesById.get('gw-1')!.children).toEqual(['wl-1', 'wl-2']);
  });

  it('refuses a child that is not in devices.yaml', () => {
    expect(problems([device('gw-1', { children: ['wl-1', 'nope-9'] }), device('wl-1')]))
      .toEqual(['devices.yaml: entry 0 (id gw-1) field children.1: device "nope-9" is not in devices.yaml']);
  });

  it('refuses a gateway that is its own child', () => {
    expect(problems([device('gw-1', { children: ['gw-1'] })]))
      .toEqual(['devices.yaml: entry 0 (id gw-1) field children.0: a gateway is not its own child']);
  });

  it('refuses a child with two gateways, and the same child twice', () => {
    expect(problems([device('wl-1'), device('gw-1', { children: ['wl-1', 'wl-1'] }), device('gw-2', { children: ['wl-1'] })])).toEqual([
      'devices.yaml: entry 1 (id gw-1) field children.1: "wl-1" is listed twice',
      'devices.yaml: entry 2 (id gw-2) field children.0: "wl-1" is already a child of gateway "gw-1"; a device has one gateway at most',
    ]);
  });

  it('refuses nesting: a child that is a gateway itself', () => {
    expect(problems([device('gw-1', { children: ['gw-2'] }), device('gw-2', { children: ['wl-1'] }), device('wl-1')]))
      .toEqual(['devices.yaml: entry 0 (id gw-1) field children.0: "gw-2" is a gateway itself; gateways do not nest']);
  });

  it('bounds the children of one gateway, and refuses an empty list or a bad id', () => {
    const many = Array.from({ length: MAX_GATEWAY_CHILDREN + 1 }, (_, i) => `wl-${i}`);
    const [tooMany] = problems([device('gw-1', { children: many })]);
    expect(tooMany).toMatch(/^devices\.yaml: entry 0 \(id gw-1\) field children: /);
    expect(problems([device('gw-1', { children: [] })])[0]).toMatch(/^devices\.yaml: entry 0 \(id gw-1\) field children: /);
    expect(problems([device('gw-1', { children: ['Bad Id'] })])[0]).toBe('devices.yaml: entry 0 (id gw-1) field children.0: a child is a device id');
  });

  it('does not report again a child whose own entry is refused', () => {
    expect(problems([device('gw-1', { children: ['wl-1'] }), device('wl-1', { kind: 'toaster' })]))
      .toEqual([expect.stringMatching(/^devices\.yaml: entry 1 \(id wl-1\) field kind: /)]);
  });
});
