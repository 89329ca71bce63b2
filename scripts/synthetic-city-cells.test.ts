import polygonClipping from 'polygon-clipping';
import { describe, expect, it } from 'vitest';
import type { Ring } from '../contract/src/geo.js';
import { irregularCity, spotIn } from './synthetic-city-cells.js';
import { writeSyntheticCity } from './synthetic-city-lib.js';
import { signedArea2, type Pt } from './city-geometry/voronoi.js';

const area = (rings: Ring[][]) => rings.reduce((s, p) => s + Math.abs(signedArea2(p[0] as Pt[])) / 2 - p.slice(1).reduce((h, r) => h + Math.abs(signedArea2(r as Pt[])) / 2, 0), 0);

describe('irregularCity', () => {
  const city = irregularCity(1500);

  it('has exactly the cells asked for, of about 20 vertices, in districts of about 1,000 cells', () => {
    expect(city.cells).toHaveLength(1500);
    expect(new Set(city.cells.map((c) => c.id)).size).toBe(1500);
    expect(city.districts.length).toBe(4);
    const mean = city.cells.reduce((s, c) => s + c.rings[0]!.length - 1, 0) / city.cells.length;
    expect(mean).toBeGreaterThan(14);
    expect(mean).toBeLessThan(30);
  });

  it('keeps every cell inside its district and out of the river', () => {
    const byId = new Map(city.districts.map((d) => [d.id, d]));
    for (const c of city.cells) {
      const d = byId.get(c.district)!;
      const own = area([c.rings]);
      const geom = d.geometry.type === 'Polygon' ? [d.geometry.coordinates] : d.geometry.coordinates;
      // rounding to 0.1 m leaves slivers no wider than that: within 0.01 % of the cell's area
      expect(area(polygonClipping.intersection(c.rings as polygonClipping.Polygon, geom as polygonClipping.MultiPolygon) as Ring[][])).toBeGreaterThan(own * (1 - 1e-4));
      expect(area(polygonClipping.intersection(c.rings as polygonClipping.Polygon, [city.river as polygonClipping.Ring]) as Ring[][])).toBeLessThan(own * 1e-4);
    }
  });

  it('is the same city every time', () => {
    expect(irregularCity(1500).cells.slice(0, 50)).toEqual(city.cells.slice(0, 50));
  });

  it('finds a spot inside each cell for its devices', () => {
    let x = 0.3;
    const rand = () => (x = (x * 9301 + 49297) % 233280 / 233280);
    for (const c of city.cells.slice(0, 200)) expect(spotIn(c, rand)).toHaveLength(2);
  });
});

it('writes an irregular synthetic city that loadCity accepts (every device inside its cell)', async () => {
  const r = await writeSyntheticCity({ cells: 600, devices: 900 });
  try {
    expect(r.city!.cells).toHaveLength(600);
    expect(r.city!.devices).toHaveLength(900);
  } finally {
    r.remove();
  }
});
