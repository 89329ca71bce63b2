// A cell outline cut to its district: the intersection of the two (polygon-clipping, a robust sweep-
// line implementation of Martinez et al.: districts are non-convex and may have several parts, which
// Sutherland-Hodgman cannot do). A grid cell is one Polygon, so when the cut leaves several pieces the
// one holding the cell's anchor (its seed, where its devices cluster) is kept and the slivers are left
// uncovered.
import polygonClipping from 'polygon-clipping';
import { pointInArea, type AreaGeometry, type Position, type Ring } from '../../contract/src/geo.js';
import type { Pt } from './voronoi.js';

const closed = (ring: Pt[]): Ring => {
  const first = ring[0]!, last = ring[ring.length - 1]!;
  return (first[0] === last[0] && first[1] === last[1] ? ring : [...ring, first]).map((p) => [p[0], p[1]] as Position);
};

/** The part of `ring` (open or closed) inside `area` that holds `anchor`; null when the anchor is outside it. */
export function clipToArea(ring: Pt[], area: AreaGeometry, anchor: Pt): Ring[] | null {
  const district = area.type === 'Polygon' ? [area.coordinates] : area.coordinates;
  const pieces = polygonClipping.intersection([closed(ring)], district as polygonClipping.MultiPolygon);
  const hit = pieces.find((rings) => pointInArea(anchor, { type: 'Polygon', coordinates: rings as Ring[] }));
  return hit ? (hit as Ring[]).map((r) => closed(r as Pt[])) : null;
}

/** Rounds every position (degrees: 6 decimals ≈ 0.1 m) and drops repeats that rounding made. */
export function roundRings(rings: Ring[], decimals = 6): Ring[] {
  const f = 10 ** decimals;
  return rings.map((ring) => {
    const out: Ring = [];
    for (const [x, y] of ring) {
      const p: Position = [Math.round(x * f) / f, Math.round(y * f) / f];
      const last = out[out.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
    }
    return out;
  });
}
