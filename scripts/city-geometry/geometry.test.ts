import polygonClipping from 'polygon-clipping';
import { describe, expect, it } from 'vitest';
import { pointInArea, type AreaGeometry, type Ring } from '../../contract/src/geo.js';
import { irregularCells, jitteredLattice } from './cells.js';
import { clipToArea, roundRings } from './clip.js';
import { clipToBisector, signedArea2, voronoiCells, type Box, type Pt } from './voronoi.js';
import { hash01, wiggleCells } from './wiggle.js';

const BOX: Box = [0, 0, 10, 8];
const seeds = jitteredLattice(BOX, 10, 8, 0.35, 7, hash01);
const area = (ring: Pt[]) => Math.abs(signedArea2(ring)) / 2;

/** Whether two segments cross at a point inside both (touching at shared ends does not count). */
function cross(a: Pt, b: Pt, c: Pt, d: Pt): boolean {
  const o = (p: Pt, q: Pt, r: Pt) => (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
  return o(a, b, c) * o(a, b, d) < -1e-18 && o(c, d, a) * o(c, d, b) < -1e-18;
}
function selfCrossing(ring: Pt[]): boolean {
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      if (cross(ring[i]!, ring[(i + 1) % n]!, ring[j]!, ring[(j + 1) % n]!)) return true;
    }
  }
  return false;
}

describe('voronoiCells', () => {
  const cells = voronoiCells(seeds, BOX);

  it('tiles the box: the cells add up to its area, each holds its own seed, counter-clockwise', () => {
    expect(cells.reduce((s, c) => s + area(c.ring), 0)).toBeCloseTo(80, 9);
    cells.forEach((c, i) => {
      expect(signedArea2(c.ring)).toBeGreaterThan(0);
      expect(pointInArea(seeds[i]!, { type: 'Polygon', coordinates: [[...c.ring, c.ring[0]!]] })).toBe(true);
    });
  });

  it('gives each cell the points nearer its seed than any other (checked at random points)', () => {
    for (let k = 0; k < 300; k++) {
      const p: Pt = [10 * hash01(k, 1), 8 * hash01(k, 2)];
      const nearest = seeds.reduce((best, s, i) => (Math.hypot(s[0] - p[0], s[1] - p[1]) < Math.hypot(seeds[best]![0] - p[0], seeds[best]![1] - p[1]) ? i : best), 0);
      const inside = cells.findIndex((c) => pointInArea(p, { type: 'Polygon', coordinates: [[...c.ring, c.ring[0]!]] }));
      expect(inside).toBe(nearest);
    }
  });

  it("labels every edge with the neighbour across it, both ways, and the box's edges -1", () => {
    cells.forEach((c, i) => {
      for (const j of c.edges) if (j >= 0) expect(cells[j]!.edges).toContain(i);
    });
    expect(cells[0]!.edges).toContain(-1);
  });

  it('clipToBisector keeps the half nearer the seed and labels the cut', () => {
    const square = { ring: [[0, 0], [2, 0], [2, 2], [0, 2]] as Pt[], edges: [-1, -1, -1, -1] };
    const half = clipToBisector(square, [0.5, 1], [1.5, 1], 9);
    expect(area(half.ring)).toBeCloseTo(2, 12);
    expect(half.edges.filter((e) => e === 9)).toHaveLength(1);
    expect(clipToBisector(square, [0.5, 1], [5, 1], 9)).toBe(square); // too far to cut
  });
});

describe('wiggleCells', () => {
  const rings = wiggleCells(seeds, voronoiCells(seeds, BOX), { spacing: 1, seed: 3 });

  it('still tiles the box with simple polygons that hold their seeds', () => {
    expect(rings.reduce((s, r) => s + area(r), 0)).toBeCloseTo(80, 9);
    rings.forEach((r, i) => {
      expect(selfCrossing(r)).toBe(false);
      expect(pointInArea(seeds[i]!, { type: 'Polygon', coordinates: [[...r, r[0]!]] })).toBe(true);
    });
  });

  it('has about 20 vertices a cell inside the city, and no two cells overlap', () => {
    const inner = rings.filter((_, i) => seeds[i]![0] > 2 && seeds[i]![0] < 8 && seeds[i]![1] > 2 && seeds[i]![1] < 6);
    const mean = inner.reduce((s, r) => s + r.length, 0) / inner.length;
    expect(mean).toBeGreaterThan(15);
    expect(mean).toBeLessThan(28);
    for (let i = 0; i < 12; i++) {
      const overlap = polygonClipping.intersection([[...rings[i]!, rings[i]![0]!]], [[...rings[i + 1]!, rings[i + 1]![0]!]]);
      const a = overlap.reduce((s, p) => s + area(p[0] as Pt[]), 0);
      expect(a).toBeLessThan(1e-9);
    }
  });

  it('is deterministic: the same seed gives the same outlines, another seed others', () => {
    const again = wiggleCells(seeds, voronoiCells(seeds, BOX), { spacing: 1, seed: 3 });
    expect(again).toEqual(rings);
    expect(wiggleCells(seeds, voronoiCells(seeds, BOX), { spacing: 1, seed: 4 })).not.toEqual(rings);
  });
});

describe('clipToArea and irregularCells', () => {
  // an L-shaped district: the box less its north-east quarter
  const L: AreaGeometry = { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 4], [5, 4], [5, 8], [0, 8], [0, 0]]] };

  it("keeps the piece of a cell that holds its anchor, and nothing outside the district", () => {
    // an upside-down U whose top crosses the L's notch: two pieces inside the L, one per arm
    const u: Pt[] = [[4, 2], [4.5, 2], [4.5, 6], [8, 6], [8, 2], [8.5, 2], [8.5, 6.5], [4, 6.5]];
    const kept = clipToArea(u, L, [4.2, 3])!;
    expect(pointInArea([4.2, 3], { type: 'Polygon', coordinates: kept })).toBe(true);
    expect(pointInArea([4.8, 6.2], { type: 'Polygon', coordinates: kept })).toBe(true);
    expect(pointInArea([8.2, 3], { type: 'Polygon', coordinates: kept })).toBe(false); // the other arm's piece
    expect(pointInArea([6, 6.2], { type: 'Polygon', coordinates: kept })).toBe(false); // the notch
    expect(clipToArea(u, L, [8.2, 6.2])).toBeNull(); // its anchor is outside the district
  });

  it('cuts every cell to the district: together they cover exactly the district', () => {
    const inside = seeds.filter((p) => pointInArea(p, L));
    const cells = irregularCells({ seeds: inside, box: BOX, area: L, spacing: 1, seed: 5 });
    let total = 0;
    for (const rings of cells) {
      expect(rings).not.toBeNull();
      const ring = rings![0]! as Pt[];
      expect(ring[0]).toEqual(ring[ring.length - 1]);
      const a = area(ring);
      const cut = polygonClipping.intersection([ring], (L as { coordinates: Ring[] }).coordinates as polygonClipping.Polygon);
      expect(cut.reduce((s, p) => s + area(p[0] as Pt[]), 0)).toBeCloseTo(a, 6);
      total += a;
    }
    expect(total).toBeCloseTo(60, 3);
  });

  it('roundRings rounds and drops the repeats rounding makes', () => {
    expect(roundRings([[[0.1234564, 1], [0.1234561, 1], [2, 2]]], 6)).toEqual([[[0.123456, 1], [2, 2]]]);
  });
});
