// The public conditions page's map (views/PublicConditionsView.vue): the city's cells and districts as
// SVG paths, projected to fit a box. One static drawing refreshed once a minute, so plain SVG (one path
// per cell, each with its cell id and condition in the DOM) rather than the control room's canvas.
import type { Position } from '@citygrid/contract';
import { boundsOf } from './map-geometry';

type Polygonal =
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface Projection {
  width: number;
  height: number;
  project(p: Position): [number, number];
}

function polygonsOf(g: Polygonal): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

/**
 * Longitude/latitude to a box `width` wide (its height follows the city's shape): equirectangular,
 * longitudes shrunk by the cosine of the middle latitude, north up, `pad` pixels of margin.
 */
export function fitProjection(geometries: Polygonal[], width: number, pad = 8): Projection | null {
  const bounds = boundsOf(geometries.map((geometry) => ({ geometry })), 0);
  if (!bounds) return null;
  const [[w, n], [e, s]] = bounds;
  if (e <= w || n <= s) return null;
  const kx = Math.cos((((s + n) / 2) * Math.PI) / 180);
  const scale = (width - 2 * pad) / ((e - w) * kx);
  const height = Math.ceil((n - s) * scale + 2 * pad);
  return {
    width,
    height,
    project: ([lng, lat]) => [pad + (lng - w) * kx * scale, pad + (n - lat) * scale],
  };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** An SVG path for a polygon or multipolygon (holes included; fill-rule evenodd draws them). */
export function svgPath(g: Polygonal, projection: Projection): string {
  let d = '';
  for (const polygon of polygonsOf(g)) {
    for (const ring of polygon) {
      ring.forEach((p, i) => {
        const [x, y] = projection.project(p);
        d += `${i === 0 ? 'M' : 'L'}${r1(x)} ${r1(y)}`;
      });
      d += 'Z';
    }
  }
  return d;
}

export type PublicCondition = 'ok' | 'warn' | 'alarm' | null;

/** Cell fills: the control room's condition colours (lib/conditions.ts), grey where no device reported. */
export const PUBLIC_FILL: Record<'ok' | 'warn' | 'alarm' | 'none', string> = {
  ok: 'rgba(34, 197, 94, 0.45)',
  warn: 'rgba(245, 158, 11, 0.7)',
  alarm: 'rgba(239, 68, 68, 0.8)',
  none: 'rgba(148, 163, 184, 0.18)',
};

export const fillOf = (c: PublicCondition): string => PUBLIC_FILL[c ?? 'none'];

/** How many cells are in each condition (null: no data). */
export function conditionCounts(cells: { condition: PublicCondition }[]): Record<'ok' | 'warn' | 'alarm' | 'none', number> {
  const out = { ok: 0, warn: 0, alarm: 0, none: 0 };
  for (const c of cells) out[c.condition ?? 'none']++;
  return out;
}
