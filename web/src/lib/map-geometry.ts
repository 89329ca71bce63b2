// GeoJSON helpers for the map: one merged map (districts under cells), bounds, outlines, label points.
import type { Position, Ring, DistrictView as District, GridCellView as GridCell } from '@citygrid/contract';

export const MAP_NAME = 'citygrid';
export const cellKey = (id: string) => `c:${id}`;
export const districtKey = (id: string) => `d:${id}`;

type Area = GridCell | District;

function polygonsOf(f: Pick<Area, 'geometry'>): Ring[][] {
  return f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
}

/** The districts as the geo's map (the cells are drawn over it as a series of their own). */
export function districtGeoJson(districts: District[]) {
  return {
    type: 'FeatureCollection' as const,
    features: districts.map((d) => ({ type: 'Feature' as const, geometry: d.geometry, properties: { key: districtKey(d.properties.id) } })),
  };
}

/** [[west, north], [east, south]] around the features, with a margin. */
export function boundsOf(features: Pick<Area, 'geometry'>[], margin = 0.04): [Position, Position] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const f of features) {
    for (const polygon of polygonsOf(f)) {
      for (const [lng, lat] of polygon[0] ?? []) {
        if (lng < w) w = lng;
        if (lng > e) e = lng;
        if (lat < s) s = lat;
        if (lat > n) n = lat;
      }
    }
  }
  if (!Number.isFinite(w)) return null;
  const dx = (e - w) * margin, dy = (n - s) * margin;
  return [[w - dx, n + dy], [e + dx, s - dy]];
}

/** Outer rings as polylines for a `lines` series. */
export function outlines(districts: District[]): { name: string; coords: Ring }[] {
  return districts.flatMap((d) =>
    polygonsOf(d).map((polygon) => ({ name: d.properties.id, coords: polygon[0] ?? [] })));
}

function ringArea(ring: Ring): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    a += ring[j]![0] * ring[i]![1] - ring[i]![0] * ring[j]![1];
  }
  return a / 2;
}

/** Area centroid of the largest polygon: where a district's name goes. */
export function labelPoint(f: Area): Position | null {
  let best: Ring | null = null;
  let bestArea = 0;
  for (const polygon of polygonsOf(f)) {
    const ring = polygon[0];
    if (ring && Math.abs(ringArea(ring)) > bestArea) {
      best = ring;
      bestArea = Math.abs(ringArea(ring));
    }
  }
  if (!best || bestArea === 0) return null;
  let x = 0, y = 0;
  const a = ringArea(best);
  for (let i = 0, j = best.length - 1; i < best.length; j = i++) {
    const f2 = best[j]![0] * best[i]![1] - best[i]![0] * best[j]![1];
    x += (best[j]![0] + best[i]![0]) * f2;
    y += (best[j]![1] + best[i]![1]) * f2;
  }
  return [x / (6 * a), y / (6 * a)];
}
