// The irregular layout of a synthetic city (`npm run city:synthetic -- --cells 11000`): a city of
// ~500 m cells over central Wuhan with a river winding west to east through it, rectangular districts
// (about 1,000 cells each) less the river, and cells shaped like real ones — jittered Voronoi cells of
// ~20 vertices (scripts/city-geometry), each cut to its district so that none crosses a district line
// or the river. Exactly `count` cells; deterministic for the same count and seed.
import polygonClipping from 'polygon-clipping';
import { pointInArea, type AreaGeometry, type Ring } from '../contract/src/geo.js';
import { irregularCells, jitteredLattice } from './city-geometry/cells.js';
import type { Box, Pt } from './city-geometry/voronoi.js';
import { hash01 } from './city-geometry/wiggle.js';

export interface IrregularDistrict { id: string; name: string; name_en: string; geometry: AreaGeometry }
export interface IrregularCell { id: string; name: string; name_en: string; district: string; rings: Ring[]; anchor: Pt }

const D_LNG = 0.0052, D_LAT = 0.0045; // ≈ 500 m × 500 m at 30.6° N
const WEST = 114.18, NORTH = 30.66;
const RIVER_CELLS = 1.4; // the river's width, in cells

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** A band winding west to east across the box, a little wider than it (so it cuts every district it meets). */
export function riverBand(box: Box, widthLat: number): Ring {
  const [w, s, e, n] = box;
  const mid = s + (n - s) * 0.62, amp = (n - s) * 0.08, steps = 80;
  const centre = (x: number) => mid + amp * Math.sin(((x - w) / (e - w)) * Math.PI * 2.3 + 0.4) + amp * 0.35 * Math.sin(((x - w) / (e - w)) * Math.PI * 7.1);
  const xs = Array.from({ length: steps + 1 }, (_, k) => w - 0.01 + ((e - w + 0.02) * k) / steps);
  const top = xs.map((x): [number, number] => [r6(x), r6(centre(x) + widthLat / 2)]);
  const bottom = xs.map((x): [number, number] => [r6(x), r6(centre(x) - widthLat / 2)]).reverse();
  return [...top, ...bottom, top[0]!];
}

export function irregularCity(count: number, seed = 1): { districts: IrregularDistrict[]; cells: IrregularCell[]; river: Ring } {
  // A box with room for `count` cells besides the river, 4:3.
  const rowsGuess = Math.sqrt((count * 3) / 4);
  const rows = Math.max(2, Math.ceil(rowsGuess + RIVER_CELLS));
  const cols = Math.max(2, Math.ceil(count / (rows - RIVER_CELLS)));
  const box: Box = [WEST, NORTH - rows * D_LAT, WEST + cols * D_LNG, NORTH];
  const river = riverBand(box, RIVER_CELLS * D_LAT);
  const notRiver = (p: Pt) => !pointInArea(p, { type: 'Polygon', coordinates: [river] });

  // Seeds: a jittered lattice less the river, thinned evenly to exactly `count`.
  let seeds = jitteredLattice(box, cols, rows, 0.38, seed, hash01).filter(notRiver);
  if (seeds.length < count) throw new Error(`synthetic city: room for ${seeds.length} cells only, ${count} asked`);
  const extra = seeds.length - count;
  if (extra > 0) {
    const drop = new Set(Array.from({ length: extra }, (_, k) => Math.floor(((k + 0.5) * seeds.length) / extra)));
    seeds = seeds.filter((_, i) => !drop.has(i));
  }

  // Districts: about 1,000 cells each, a dc × dr lattice of rectangles less the river.
  const wanted = Math.max(4, Math.round(count / 1000));
  const dc = Math.max(2, Math.round(Math.sqrt((wanted * 4) / 3))), dr = Math.max(2, Math.round(wanted / dc));
  const districts: IrregularDistrict[] = [];
  const cells: IrregularCell[] = [];
  for (let r = 0; r < dr; r++) {
    for (let c = 0; c < dc; c++) {
      const k = r * dc + c + 1;
      const rect: Box = [r6(box[0] + ((box[2] - box[0]) * c) / dc), r6(box[3] - ((box[3] - box[1]) * (r + 1)) / dr), r6(box[0] + ((box[2] - box[0]) * (c + 1)) / dc), r6(box[3] - ((box[3] - box[1]) * r) / dr)];
      const [w, s, e, n] = rect;
      const parts = polygonClipping.difference([[[w, s], [e, s], [e, n], [w, n], [w, s]]], [river as polygonClipping.Ring]) as Ring[][];
      if (!parts.length) continue;
      const id = `district-${String(k).padStart(2, '0')}`;
      const district: IrregularDistrict = {
        id, name: `第${k}区`, name_en: `District ${k}`,
        geometry: parts.length === 1 ? { type: 'Polygon', coordinates: parts[0]! } : { type: 'MultiPolygon', coordinates: parts },
      };
      districts.push(district);
      let number = 0;
      // Each part of the district (the river may split it) gets the Voronoi cells of its own seeds.
      for (const part of parts) {
        const area: AreaGeometry = { type: 'Polygon', coordinates: part };
        const mine = seeds.filter((p) => p[0] >= w && p[0] < e && p[1] >= s && p[1] < n && pointInArea(p, area));
        if (!mine.length) continue;
        const xs = part[0]!.map((p) => p[0]), ys = part[0]!.map((p) => p[1]);
        const partBox: Box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
        const shaped = irregularCells({ seeds: mine, box: partBox, area, spacing: Math.sqrt(D_LNG * D_LAT), seed: seed * 1000 + k });
        shaped.forEach((rings, i) => {
          if (!rings) return;
          number++;
          cells.push({
            id: `${id}-${String(number).padStart(4, '0')}`, name: `第${k}区第${number}网格`, name_en: `District ${k} grid ${number}`,
            district: id, rings, anchor: mine[i]!,
          });
        });
      }
    }
  }
  return { districts, cells, river };
}

/** A point of the cell near its anchor (within a few tens of metres), inside it; `rand` in [0, 1). */
export function spotIn(cell: IrregularCell, rand: () => number): [number, number] {
  const geometry: AreaGeometry = { type: 'Polygon', coordinates: cell.rings };
  for (let tries = 0; tries < 4; tries++) {
    const p: [number, number] = [r6(cell.anchor[0] + (rand() - 0.5) * D_LNG * 0.3), r6(cell.anchor[1] + (rand() - 0.5) * D_LAT * 0.3)];
    if (pointInArea(p, geometry)) return p;
  }
  const a: [number, number] = [r6(cell.anchor[0]), r6(cell.anchor[1])];
  if (pointInArea(a, geometry)) return a;
  // the anchor rounded onto the border: the middle of the cell's first triangle that holds a point
  const ring = cell.rings[0]!;
  for (let k = 1; k + 1 < ring.length; k++) {
    const c: [number, number] = [r6((ring[0]![0] + ring[k]![0] + ring[k + 1]![0]) / 3), r6((ring[0]![1] + ring[k]![1] + ring[k + 1]![1]) / 3)];
    if (pointInArea(c, geometry)) return c;
  }
  throw new Error(`synthetic city: no point found inside ${cell.id}`);
}
