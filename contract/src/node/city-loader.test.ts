// Proves loadCity builds a valid city (cells by point-in-polygon, districts from cells) and reports every mistake in every file in one CityConfigError.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CityConfigError, loadCity } from './city-loader.js';

const SECRET_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
const PASSWORD_HASH = '$2b$10$OqSvAH4XyPvnAEJLjfelKO2Jidj4gdFQIjIoxX06ulFkjqVFuG9Ne';

/** A closed square ring from (lng, lat) with side `size` degrees. */
function square(lng: number, lat: number, size = 0.01): number[][] {
  return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]];
}
function cell(id: string, district: string, lng: number, lat = 30) {
  return { type: 'Feature', properties: { id, name: `Cell ${id}`, district }, geometry: { type: 'Polygon', coordinates: [square(lng, lat)] } };
}
const GRID = {
  type: 'FeatureCollection',
  features: [cell('c-a', 'east', 114.0), cell('c-b', 'west', 114.01), cell('c-empty', 'west', 114.02)],
};

const dirs: string[] = [];
function cityDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'citygrid-city-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : name.endsWith('.yaml') ? stringify(content) : JSON.stringify(content);
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cityError(dir: string): CityConfigError {
  try {
    loadCity(dir);
  } catch (err) {
    if (err instanceof CityConfigError) return err;
    throw err;
  }
  throw new Error('expected a CityConfigError');
}

describe('loadCity: a valid city', () => {
  const valid = () => cityDir({
    'city.yaml': { name: 'Test City', center: [114.01, 30.005] },
    'grid.geojson': GRID,
    'devices.yaml': [
      { id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], secret_hash: SECRET_HASH },
      { id: 'mh-1', kind: 'manhole_cover', location: [114.015, 30.002], grid: 'c-b', name: 'Manhole by the gate', secret_hash: SECRET_HASH },
      { id: 'cam-1', kind: 'camera', location: [114.0195, 30.0095], secret_hash: SECRET_HASH },
    ],
    'people.yaml': {
      deadlines: { red: '5m', blue: '2h' },
      users: [
        { username: 'worker-a', name: 'Worker A', role: 'gridworker', grids: ['c-a'], password_hash: PASSWORD_HASH },
        { username: 'boss', name: 'Boss', role: 'operator', districts: ['west'], password_hash: PASSWORD_HASH },
      ],
    },
  });

  it('loads cells, districts, devices and people', () => {
    const city = loadCity(valid());
    expect(city.name).toBe('Test City');
    expect(city.meta).toEqual({ center: [114.01, 30.005] });
    expect(city.cells.map((c) => c.id)).toEqual(['c-a', 'c-b', 'c-empty']);
    expect(city.cellsById.get('c-b')?.district).toBe('west');
    expect(city.cellsById.get('c-a')?.bbox).toEqual({ minLng: 114, minLat: 30, maxLng: 114.01, maxLat: 30.01 });
    expect(city.districts.map((d) => d.id).sort()).toEqual(['east', 'west']);
    expect(city.devices.map((d) => d.id)).toEqual(['wl-1', 'mh-1', 'cam-1']);
    expect(city.people.map((p) => p.username)).toEqual(['worker-a', 'boss']);
    expect(city.deadlines).toEqual({ red: '5m', blue: '2h' });
  });

  it('assigns the grid by point-in-polygon when it is omitted, and takes the district from the cell', () => {
    const city = loadCity(valid());
    expect(city.devicesById.get('wl-1')).toMatchObject({ grid: 'c-a', district: 'east', kind: 'water_level' });
    expect(city.devicesById.get('cam-1')).toMatchObject({ grid: 'c-b', district: 'west' });
  });

  it('keeps an explicit grid that contains the location', () => {
    expect(loadCity(valid()).devicesById.get('mh-1')).toMatchObject({ grid: 'c-b', district: 'west', name: 'Manhole by the gate' });
  });

  it('accepts a secret hash made by the broker', async () => {
    const { hashSecret } = await import('../../../broker/src/secrets.js');
    const dir = cityDir({
      'grid.geojson': GRID,
      'devices.yaml': [{ id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], secret_hash: await hashSecret('x', 4) }],
    });
    expect(loadCity(dir).devices).toHaveLength(1);
  });
});

describe('loadCity: a city with mistakes', () => {
  const broken = () => cityDir({
    'grid.geojson': { type: 'FeatureCollection', features: [cell('c-a', 'east', 114.0), cell('c-b', 'west', 114.01), cell('c-a', 'east', 114.05)] },
    'districts.geojson': '{"type": "FeatureCollection", "features": [',
    'devices.yaml': [
      { id: 'ok-1', kind: 'noise', location: [114.005, 30.005], secret_hash: SECRET_HASH },
      { id: 'Bad_ID', kind: 'noise', location: [114.005, 30.005], secret_hash: SECRET_HASH },
      { id: 'ghost-1', kind: 'teleporter', location: [114.005, 30.005], secret_hash: SECRET_HASH },
      { id: 'far-1', kind: 'gas', location: [10, 10], secret_hash: SECRET_HASH },
      { id: 'wrong-cell-1', kind: 'gas', location: [114.005, 30.005], grid: 'c-b', secret_hash: SECRET_HASH },
      { id: 'ok-1', kind: 'gas', location: [114.015, 30.005], secret_hash: SECRET_HASH },
      { id: 'hash-1', kind: 'gas', location: [114.015, 30.005], secret_hash: 'hunter2' },
    ],
    'people.yaml': { users: [{ username: 'w1', name: 'W 1', role: 'gridworker', grids: ['c-zz'], password_hash: PASSWORD_HASH }] },
  });

  it('takes a camera\'s zone names, and refuses zones on a sensor or a zone that is not a zone name', () => {
    const dir = (devices: unknown[]) => cityDir({ 'grid.geojson': GRID, 'devices.yaml': devices });
    const cam = { id: 'cam-1', kind: 'camera', location: [114.0195, 30.0095], secret_hash: SECRET_HASH };
    expect(loadCity(dir([{ ...cam, zones: ['gate-north', 'lane-2'] }])).devicesById.get('cam-1')?.zones).toEqual(['gate-north', 'lane-2']);
    const err = cityError(dir([
      { ...cam, zones: ['鄂A12345'] },
      { id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], secret_hash: SECRET_HASH, zones: ['gate'] },
    ]));
    expect(err.problems.filter((p) => p.includes('cam-1') && p.includes('zones'))).toHaveLength(1);
    expect(err.problems.filter((p) => p.includes('wl-1') && p.includes('only cameras'))).toHaveLength(1);
  });

  it('reports ALL problems in one error, each naming its file and entry', () => {
    const err = cityError(broken());
    const has = (...parts: string[]) => err.problems.filter((p) => parts.every((part) => p.includes(part)));
    expect(has('grid.geojson', 'c-a', 'duplicate'), 'duplicate grid id').toHaveLength(1);
    expect(has('districts.geojson', 'JSON'), 'invalid JSON').toHaveLength(1);
    expect(has('devices.yaml', 'Bad_ID'), 'bad device id').toHaveLength(1);
    expect(has('devices.yaml', 'ghost-1', 'kind'), 'unknown kind').toHaveLength(1);
    expect(has('devices.yaml', 'far-1'), 'outside every cell').toHaveLength(1);
    expect(has('devices.yaml', 'wrong-cell-1', 'c-b'), 'grid does not contain its location').toHaveLength(1);
    expect(has('devices.yaml', 'ok-1', 'duplicate'), 'duplicate device id').toHaveLength(1);
    expect(has('devices.yaml', 'hash-1', 'secret_hash'), 'bad secret_hash').toHaveLength(1);
    expect(has('people.yaml', 'w1', 'c-zz'), 'unknown grid in people.yaml').toHaveLength(1);
    expect(err.problems).toHaveLength(9);
    expect(err.message).toContain('9 problems');
    for (const p of err.problems) expect(err.message).toContain(p);
  });

  it('reports a missing grid.geojson together with problems in other files', () => {
    const dir = cityDir({
      'devices.yaml': [
        { id: 'BAD', kind: 'noise', location: [114.005, 30.005], secret_hash: SECRET_HASH },
        { id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], secret_hash: SECRET_HASH },
      ],
    });
    const err = cityError(dir);
    expect(err.dir).toBe(dir);
    expect(err.problems.some((p) => p.includes('grid.geojson') && p.includes('missing'))).toBe(true);
    expect(err.problems.some((p) => p.includes('devices.yaml') && p.includes('BAD'))).toBe(true);
    // with no cells, a device without a grid is outside every cell
    expect(err.problems.some((p) => p.includes('devices.yaml') && p.includes('wl-1'))).toBe(true);
  });

  it('reports a missing devices.yaml and an invalid grid.geojson', () => {
    const err = cityError(cityDir({ 'grid.geojson': '{ nope' }));
    expect(err.problems.some((p) => p.startsWith('grid.geojson') && p.includes('JSON'))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('devices.yaml') && p.includes('missing'))).toBe(true);
    expect(err.problems).toHaveLength(2);
  });

  it('reports invalid YAML and a grid feature that is not a Polygon cell', () => {
    const err = cityError(cityDir({
      'grid.geojson': { type: 'FeatureCollection', features: [cell('c-a', 'east', 114.0), { type: 'Feature', properties: { id: 'c-pt', name: 'P', district: 'east' }, geometry: { type: 'Point', coordinates: [114, 30] } }] },
      'devices.yaml': '- id: wl-1\n  kind: [water_level\n',
    }));
    expect(err.problems.some((p) => p.startsWith('grid.geojson') && p.includes('c-pt'))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('devices.yaml') && p.includes('YAML'))).toBe(true);
  });

  it('reports a grid without cells even when another file also has a problem', () => {
    const err = cityError(cityDir({
      'city.yaml': { name: '' },
      'grid.geojson': { type: 'FeatureCollection', features: [] },
      'devices.yaml': [],
    }));
    expect(err.problems.some((p) => p.startsWith('city.yaml'))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('grid.geojson') && p.includes('no grid cells'))).toBe(true);
  });

  it('reports a device whose grid does not exist and a district missing from districts.geojson', () => {
    const err = cityError(cityDir({
      'grid.geojson': GRID,
      'districts.geojson': { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'east', name: 'East' }, geometry: { type: 'Polygon', coordinates: [square(113.9, 29.9, 0.5)] } }] },
      'devices.yaml': [{ id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], grid: 'c-nowhere', secret_hash: SECRET_HASH }],
    }));
    expect(err.problems.some((p) => p.startsWith('devices.yaml') && p.includes('wl-1') && p.includes('c-nowhere'))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('grid.geojson') && p.includes('"west"'))).toBe(true);
  });
});
