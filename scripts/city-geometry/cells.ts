// Irregular grid cells from seeds: Voronoi cells in a box (voronoi.ts), their shared edges jittered
// alike (wiggle.ts), each cut to its district (clip.ts) and rounded. Used by the synthetic city and the
// demo city; deterministic for the same seeds and `seed`.
import type { AreaGeometry, Ring } from '../../contract/src/geo.js';
import { clipToArea, roundRings } from './clip.js';
import { voronoiCells, type Box, type Pt } from './voronoi.js';
import { wiggleCells } from './wiggle.js';

export interface IrregularOptions {
  seeds: Pt[];
  box: Box;
  /** Cut every cell to this area (its district); without it the cells tile the box. */
  area?: AreaGeometry;
  /** Typical distance between seeds. */
  spacing: number;
  seed: number;
  /** Decimals kept (default 6). */
  decimals?: number;
}

/** One Polygon's rings (closed) per seed, or null when nothing of its cell lies in the area around its seed. */
export function irregularCells(o: IrregularOptions): Array<Ring[] | null> {
  const rings = wiggleCells(o.seeds, voronoiCells(o.seeds, o.box), { spacing: o.spacing, seed: o.seed });
  return rings.map((ring, i) => {
    const rings = o.area ? clipToArea(ring, o.area, o.seeds[i]!) : [[...ring, ring[0]!]];
    return rings ? roundRings(rings, o.decimals ?? 6) : null;
  });
}

/**
 * Seeds on a jittered lattice: cols × rows points in `box`, each moved from its lattice point by up to
 * `jitter` of the spacing in each direction (deterministic from `seed`). Row-major, north first.
 */
export function jitteredLattice(box: Box, cols: number, rows: number, jitter: number, seed: number, hash: (...xs: number[]) => number): Pt[] {
  const [w, s, e, n] = box;
  const dx = (e - w) / cols, dy = (n - s) / rows;
  const out: Pt[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out.push([
        w + (c + 0.5 + jitter * (2 * hash(seed, c, r, 1) - 1)) * dx,
        n - (r + 0.5 + jitter * (2 * hash(seed, c, r, 2) - 1)) * dy,
      ]);
    }
  }
  return out;
}
