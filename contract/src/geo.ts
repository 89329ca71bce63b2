// Small planar geometry for grid cells: enough for city-scale point-in-polygon.

export type Position = [number, number]; // [lng, lat]
export type Ring = Position[];
export interface PolygonGeometry { type: 'Polygon'; coordinates: Ring[] }
export interface MultiPolygonGeometry { type: 'MultiPolygon'; coordinates: Ring[][] }
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

function inRing(point: Position, ring: Ring): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(point: Position, rings: Ring[]): boolean {
  if (rings.length === 0 || !inRing(point, rings[0]!)) return false;
  for (let h = 1; h < rings.length; h++) if (inRing(point, rings[h]!)) return false;
  return true;
}

export function pointInArea(point: Position, geometry: AreaGeometry): boolean {
  if (geometry.type === 'Polygon') return inPolygon(point, geometry.coordinates);
  return geometry.coordinates.some((rings) => inPolygon(point, rings));
}

export interface BBox { minLng: number; minLat: number; maxLng: number; maxLat: number }

export function bboxOf(geometry: AreaGeometry): BBox {
  const box: BBox = { minLng: Infinity, minLat: Infinity, maxLng: -Infinity, maxLat: -Infinity };
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const rings of polygons) {
    for (const [lng, lat] of rings[0] ?? []) {
      if (lng < box.minLng) box.minLng = lng;
      if (lat < box.minLat) box.minLat = lat;
      if (lng > box.maxLng) box.maxLng = lng;
      if (lat > box.maxLat) box.maxLat = lat;
    }
  }
  return box;
}

export function inBBox([lng, lat]: Position, b: BBox): boolean {
  return lng >= b.minLng && lng <= b.maxLng && lat >= b.minLat && lat <= b.maxLat;
}
