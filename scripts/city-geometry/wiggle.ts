// Real-looking cell outlines: each edge two Voronoi cells share becomes a slightly jittered polyline
// (streets and blocks are never straight lines for a kilometre), the same one for both cells, so the
// cells still tile without gaps or overlaps. An edge's extra vertices move perpendicular to it, by at
// most `amplitude` of its length, tapering to nothing at its ends, and each stays well inside the
// triangle of the edge and the seed on its side (whose cell it eats into): the polylines of one cell
// lie in disjoint triangles of its fan, so no outline crosses itself or another.
import type { Pt, VoronoiCell } from './voronoi.js';

export interface WiggleOptions {
  /** About this many extra vertices per `spacing` of edge length (default 4). */
  perSpacing?: number;
  /** The typical distance between seeds (sets how many vertices an edge gets). */
  spacing: number;
  /** Largest perpendicular offset, as a share of the edge's length (default 0.12). */
  amplitude?: number;
  /** Seeds the jitter: the same seed, the same outlines. */
  seed: number;
}

/** A small deterministic hash of a few integers to [0, 1). */
export function hash01(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

function inTriangle(p: Pt, a: Pt, b: Pt, c: Pt): boolean {
  const cross = (u: Pt, v: Pt, w: Pt) => (v[0] - u[0]) * (w[1] - u[1]) - (v[1] - u[1]) * (w[0] - u[0]);
  const d1 = cross(a, b, p), d2 = cross(b, c, p), d3 = cross(c, a, p);
  return (d1 > 0 && d2 > 0 && d3 > 0) || (d1 < 0 && d2 < 0 && d3 < 0);
}

/**
 * The inner vertices of the shared edge a → b between seeds `lo` < `hi` (in that direction: cell
 * `lo` walks it so; cell `hi` walks it backwards and reverses the list).
 */
export function edgeWiggle(a: Pt, b: Pt, lo: Pt, hi: Pt, key: [number, number], o: WiggleOptions): Pt[] {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const count = Math.min(6, Math.round((len / o.spacing) * (o.perSpacing ?? 4)));
  if (count < 1 || len === 0) return [];
  const amp = (o.amplitude ?? 0.12) * len;
  const ux = (b[0] - a[0]) / len, uy = (b[1] - a[1]) / len;
  const out: Pt[] = [];
  for (let k = 1; k <= count; k++) {
    // spacing along the edge jittered a little, always increasing
    const t = (k - 0.5 + 0.6 * hash01(o.seed, key[0], key[1], k, 1)) / (count + 1) + 0.25 / (count + 1);
    const taper = Math.min(1, 4 * t * (1 - t));
    let d = (2 * hash01(o.seed, key[0], key[1], k, 2) - 1) * amp * taper;
    const m: Pt = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    // Left of a → b (positive d) is the side of seed `lo` when the edge runs counter-clockwise round it.
    for (let tries = 0; tries < 6 && d !== 0; tries++) {
      const side = d > 0 ? lo : hi;
      const far: Pt = [m[0] - (uy * d) / 0.35, m[1] + (ux * d) / 0.35];
      if (inTriangle(far, a, b, side)) break;
      d /= 2;
      if (tries === 5) d = 0;
    }
    out.push([m[0] - uy * d, m[1] + ux * d]);
  }
  return out;
}

/** The cells' outlines with every shared edge jittered alike; box edges stay straight. Open rings. */
export function wiggleCells(seeds: Pt[], cells: VoronoiCell[], o: WiggleOptions): Pt[][] {
  const shared = new Map<string, Pt[]>();
  return cells.map((cell, i) => {
    const out: Pt[] = [];
    const n = cell.ring.length;
    for (let k = 0; k < n; k++) {
      const a = cell.ring[k]!, b = cell.ring[(k + 1) % n]!;
      out.push(a);
      const j = cell.edges[k]!;
      if (j < 0) continue;
      const lo = Math.min(i, j), hi = Math.max(i, j);
      const id = `${lo},${hi}`;
      let inner = shared.get(id);
      if (!inner) {
        // computed once, in the direction the lower seed's cell walks it (b → a as seen from `hi`)
        inner = i === lo ? edgeWiggle(a, b, seeds[lo]!, seeds[hi]!, [lo, hi], o) : edgeWiggle(b, a, seeds[lo]!, seeds[hi]!, [lo, hi], o);
        shared.set(id, inner);
      }
      out.push(...(i === lo ? inner : [...inner].reverse()));
    }
    return out;
  });
}
