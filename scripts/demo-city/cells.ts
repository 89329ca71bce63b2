// Real-looking shapes for the demo city's cells. Which cells there are, and their ids, still come from
// the ~1 km lattice (a square whose centre lies in a district is a cell of that district, numbered in
// row order), so every id of the lattice city survives. Each cell's seed is its square's centre moved
// by a deterministic jitter of up to 30 % of the spacing (the centre itself if the jitter would leave
// the district); a district's seeds make jittered Voronoi cells of ~20 vertices
// (scripts/city-geometry), cut to the district within the lattice's extent, so no cell crosses a
// district line, and with it the Yangtze or the Han, which the districts' boundaries follow here.
import polygonClipping from 'polygon-clipping';
import { pointInArea, type AreaGeometry, type Position, type Ring } from '../../contract/src/geo.js';
import { irregularCells } from '../city-geometry/cells.js';
import type { Box, Pt } from '../city-geometry/voronoi.js';
import { hash01 } from '../city-geometry/wiggle.js';

export interface LatticeCell { id: string; district: string; centre: Position; row: number; col: number }
export interface ShapedCell { rings: Ring[]; anchor: Position }

const JITTER = 0.3;

/** The shape of every lattice cell, by id. `box` is the lattice's extent [west, south, east, north]. */
export function shapeCells(cells: LatticeCell[], districts: { id: string; geometry: AreaGeometry }[], box: Box, spacing: [number, number], seed: number): Map<string, ShapedCell> {
  const [w, s, e, n] = box;
  const frame: polygonClipping.Polygon = [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
  const out = new Map<string, ShapedCell>();
  for (const d of districts) {
    const mine = cells.filter((c) => c.district === d.id);
    if (!mine.length) continue;
    const seeds: Pt[] = mine.map((c) => {
      const moved: Pt = [
        c.centre[0] + (2 * hash01(seed, c.col, c.row, 1) - 1) * JITTER * spacing[0],
        c.centre[1] + (2 * hash01(seed, c.col, c.row, 2) - 1) * JITTER * spacing[1],
      ];
      return pointInArea(moved, d.geometry) ? moved : [c.centre[0], c.centre[1]];
    });
    // the district within the lattice's extent: where its cells may go
    const parts = polygonClipping.intersection(frame, (d.geometry.type === 'Polygon' ? [d.geometry.coordinates] : d.geometry.coordinates) as polygonClipping.MultiPolygon) as Ring[][];
    const area: AreaGeometry = { type: 'MultiPolygon', coordinates: parts };
    const shaped = irregularCells({ seeds, box, area, spacing: Math.sqrt(spacing[0] * spacing[1]), seed: seed + d.id.length * 7919 + d.id.charCodeAt(0) });
    shaped.forEach((rings, i) => {
      if (!rings) throw new Error(`demo city: cell ${mine[i]!.id} has no area around its seed`);
      out.set(mine[i]!.id, { rings, anchor: [seeds[i]![0], seeds[i]![1]] });
    });
  }
  return out;
}
