// Proves config/demo-city loads as a valid city of the promised size, with real-looking cells inside their districts, devices inside their cells and working demo credentials.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import polygonClipping from 'polygon-clipping';
import { beforeAll, describe, expect, it } from 'vitest';
import { SENSOR_KINDS, pointInArea, type Ring } from '@citygrid/contract';
import { loadCity, type City } from '@citygrid/contract/node';
import { verifySecret } from '../../broker/src/secrets.js';

const CITY_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../config/demo-city');

function ringArea(ring: Ring): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  return a / 2;
}

describe('demo city (config/demo-city)', () => {
  let city: City;
  beforeAll(() => {
    city = loadCity(CITY_DIR);
  });

  it('has at least 5 districts with real Wuhan outlines and 100 grid cells', () => {
    expect(city.name).toContain('Wuhan');
    expect(city.districts.length).toBeGreaterThanOrEqual(5);
    expect(city.cells.length).toBeGreaterThanOrEqual(100);
    for (const d of city.districts) {
      expect(d.feature, `district ${d.id} has a boundary`).toBeDefined();
      expect(d.id).toMatch(/^[a-z]+$/);
    }
    // Real coordinates: the whole grid lies in central Wuhan (≈ 114.3° E, 30.6° N).
    for (const c of city.cells) {
      expect(c.bbox.minLng).toBeGreaterThan(114.1);
      expect(c.bbox.maxLng).toBeLessThan(114.5);
      expect(c.bbox.minLat).toBeGreaterThan(30.45);
      expect(c.bbox.maxLat).toBeLessThan(30.7);
    }
  });

  it('draws every cell inside its own district (so across no district line, nor the rivers they follow), overlapping no other, with closed rings of ~20 vertices', () => {
    const districts = new Map(city.districts.map((d) => [d.id, d]));
    const area = (polygons: Ring[][]) => polygons.reduce((s, p) => s + p.reduce((a, r, k) => a + (k === 0 ? 1 : -1) * Math.abs(ringArea(r)), 0), 0);
    let vertices = 0, total = 0;
    for (const c of city.cells) {
      const district = districts.get(c.district);
      expect(district, `district of ${c.id}`).toBeDefined();
      expect(c.id.startsWith(`${c.district}-`)).toBe(true);
      for (const ring of c.feature.geometry.coordinates) expect(ring[0]).toEqual(ring[ring.length - 1]);
      const own = area([c.feature.geometry.coordinates]);
      const g = district!.feature!.geometry;
      const inside = area(polygonClipping.intersection(c.feature.geometry.coordinates as polygonClipping.Polygon, (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as polygonClipping.MultiPolygon) as Ring[][]);
      // coordinates are rounded to 0.1 m: slivers that thin are all that may stick out
      expect(inside / own, `${c.id} inside ${c.district}`).toBeGreaterThan(0.9999);
      vertices += c.feature.geometry.coordinates[0]!.length - 1;
      total += own;
    }
    const [first, ...rest] = city.cells.map((c) => c.feature.geometry.coordinates as polygonClipping.Polygon);
    const union = area(polygonClipping.union(first!, ...rest) as Ring[][]);
    // (the district outlines are simplified one by one, so neighbours overlap by a few metres along
    // their shared border, and so do the cells cut to them: 0.08 % of the area here)
    expect(union / total, 'cells do not overlap').toBeGreaterThan(0.999);
    expect(vertices / city.cells.length).toBeGreaterThan(15);
  });

  it('has at least 300 devices of every kind, 30 cameras, each inside its cell', () => {
    expect(city.devices.length).toBeGreaterThanOrEqual(300);
    const kinds = new Set(city.devices.map((d) => d.kind));
    for (const kind of SENSOR_KINDS) expect(kinds.has(kind), `a ${kind} device`).toBe(true);
    expect(city.devices.filter((d) => d.kind === 'camera').length).toBeGreaterThanOrEqual(30);
    for (const d of city.devices) {
      const cell = city.cellsById.get(d.grid);
      expect(cell, `cell of ${d.id}`).toBeDefined();
      expect(pointInArea(d.location, cell!.feature.geometry), `${d.id} inside ${d.grid}`).toBe(true);
    }
    const perCell = new Map<string, number>();
    for (const d of city.devices) perCell.set(d.grid, (perCell.get(d.grid) ?? 0) + 1);
    const wellCovered = city.cells.filter((c) => (perCell.get(c.id) ?? 0) >= 2).length;
    expect(wellCovered / city.cells.length).toBeGreaterThan(0.8);
  });

  it('has admin, operator, one grid worker per cell and one supervisor per district', () => {
    const byName = new Map(city.people.map((p) => [p.username, p]));
    expect(byName.get('admin')?.role).toBe('admin');
    expect(byName.get('operator')?.role).toBe('operator');
    for (const c of city.cells) {
      const worker = byName.get(`gw-${c.id}`);
      expect(worker?.role, `grid worker of ${c.id}`).toBe('gridworker');
      expect(worker?.grids).toEqual([c.id]);
    }
    expect(city.people.filter((p) => p.username.startsWith('gw-')).length).toBe(city.cells.length);
    for (const d of city.districts) expect(byName.get(`sup-${d.id}`)?.districts).toEqual([d.id]);
    expect(city.deadlines).toEqual({ red: '5m', orange: '15m', yellow: '30m', blue: '120m' });
  });

  it('stores demo secrets and passwords as hashes that verify only the demo value', async () => {
    const device = city.devices.find((d) => d.kind === 'water_level')!;
    expect(await verifySecret(`demo-${device.id}`, device.secret_hash)).toBe(true);
    expect(await verifySecret(`demo-${device.id}x`, device.secret_hash)).toBe(false);
    expect(await verifySecret('demo-wrong-device', device.secret_hash)).toBe(false);
    const admin = city.people.find((p) => p.username === 'admin')!;
    expect(bcrypt.compareSync('demo-admin', admin.password_hash)).toBe(true);
    expect(bcrypt.compareSync('demo-operator', admin.password_hash)).toBe(false);
  });
});
