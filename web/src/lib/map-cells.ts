// Pure helpers of the cell canvas (map-cell-canvas.ts): the geo's affine transform and its inverse,
// simplification for cells small on screen, hit-testing through a bucket index, and translucent
// paints made opaque over their district's colour (so a cell can be repainted alone).
import type { GridCellView as GridCell, Position, Ring } from '@citygrid/contract';

/** Map → canvas pixels: x = a·lng + c·lat + e, y = b·lng + d·lat + f (a DOMMatrix's 2D part). */
export interface Affine { a: number; b: number; c: number; d: number; e: number; f: number }

export interface CellStyle { fill: string; stroke: string; lineWidth: number; dashed: boolean; selected: boolean }

/** The affine map of a linear projection, from where it sends three points (null if it cannot tell). */
export function affineFrom(toPixel: (p: Position) => number[] | null | undefined, [x0, y0]: Position): Affine | null {
  const p = toPixel([x0, y0]), px = toPixel([x0 + 0.01, y0]), py = toPixel([x0, y0 + 0.01]);
  if (!p || !px || !py || [p, px, py].some((q) => !Number.isFinite(q[0]) || !Number.isFinite(q[1]))) return null;
  const a = (px[0]! - p[0]!) / 0.01, b = (px[1]! - p[1]!) / 0.01, c = (py[0]! - p[0]!) / 0.01, d = (py[1]! - p[1]!) / 0.01;
  return { a, b, c, d, e: p[0]! - a * x0 - c * y0, f: p[1]! - b * x0 - d * y0 };
}

export function invert(t: Affine, [x, y]: [number, number]): Position {
  const det = t.a * t.d - t.b * t.c;
  const dx = x - t.e, dy = y - t.f;
  return [(t.d * dx - t.c * dy) / det, (t.a * dy - t.b * dx) / det];
}

/** Radial-distance then Douglas-Peucker-free simplification: drops vertices nearer than `tol` to the last kept one. */
export function coarseRing(ring: Ring, tol: number): Ring {
  if (ring.length <= 5) return ring;
  const out: Ring = [ring[0]!];
  for (let i = 1; i < ring.length - 1; i++) {
    const last = out[out.length - 1]!, p = ring[i]!;
    if (Math.abs(p[0] - last[0]) > tol || Math.abs(p[1] - last[1]) > tol) out.push(p);
  }
  out.push(ring[ring.length - 1]!);
  return out.length >= 4 ? out : ring;
}

export function inRing([x, y]: Position, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!, [xj, yj] = ring[j]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The outer rings of a cell (a MultiPolygon has several), as the map draws them. */
export function outerRings(cell: GridCell): Ring[] {
  const g = cell.geometry as { type: string; coordinates: unknown };
  return g.type === 'MultiPolygon' ? (g.coordinates as Ring[][]).map((p) => p[0] ?? []) : [(g.coordinates as Ring[])[0] ?? []];
}

/** Which cell holds a point: a bucket index over the cells' boxes, then point-in-ring. */
export class CellIndex {
  private readonly w: number; private readonly s: number; private readonly size: number; private readonly cols: number; private readonly rows: number;
  private readonly buckets: number[][];
  private readonly mine: number[][];
  constructor(private readonly rings: Ring[][]) {
    let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
    for (const rs of rings) for (const r of rs) for (const [x, y] of r) { w = Math.min(w, x); s = Math.min(s, y); e = Math.max(e, x); n = Math.max(n, y); }
    if (!Number.isFinite(w)) { w = s = 0; e = n = 1; }
    this.w = w; this.s = s;
    this.size = Math.max(1e-9, Math.sqrt(((e - w) * (n - s)) / Math.max(1, rings.length)) * 2);
    this.cols = Math.max(1, Math.ceil((e - w) / this.size) + 1); this.rows = Math.max(1, Math.ceil((n - s) / this.size) + 1);
    this.buckets = Array.from({ length: this.cols * this.rows }, () => []);
    this.mine = rings.map(() => []);
    rings.forEach((rs, i) => {
      let bw = Infinity, bs = Infinity, be = -Infinity, bn = -Infinity;
      for (const r of rs) for (const [x, y] of r) { bw = Math.min(bw, x); bs = Math.min(bs, y); be = Math.max(be, x); bn = Math.max(bn, y); }
      if (!Number.isFinite(bw)) return;
      for (let r = this.row(bs); r <= this.row(bn); r++) {
        for (let c = this.col(bw); c <= this.col(be); c++) {
          this.buckets[r * this.cols + c]!.push(i);
          this.mine[i]!.push(r * this.cols + c);
        }
      }
    });
  }
  private col(x: number) { return Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.w) / this.size))); }
  private row(y: number) { return Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.s) / this.size))); }
  /** The cells that may touch cell i (sharing a bucket with it), itself included. */
  near(i: number): Set<number> {
    const out = new Set<number>();
    for (const b of this.mine[i] ?? []) for (const j of this.buckets[b]!) out.add(j);
    return out;
  }
  /** The index of the cell holding the point, or -1 (the last listed wins where cells overlap, as painted). */
  find(p: Position): number {
    const list = this.buckets[this.row(p[1]) * this.cols + this.col(p[0])] ?? [];
    for (let k = list.length - 1; k >= 0; k--) if (this.rings[list[k]!]!.some((r) => inRing(p, r))) return list[k]!;
    return -1;
  }
}

/** [r, g, b, a] of '#rgb', '#rrggbb', 'rgb(…)' or 'rgba(…)'; null for anything else. */
export function parseColour(text: string): [number, number, number, number] | null {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim());
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((c) => c + c).join('') : hex[1]!;
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), 1];
  }
  const fn = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/i.exec(text.trim());
  return fn ? [Number(fn[1]), Number(fn[2]), Number(fn[3]), fn[4] === undefined ? 1 : Number(fn[4])] : null;
}

/** `over` painted on the opaque `under`, as one opaque colour (`over` unchanged if either is not understood). */
export function opaqueOver(over: string, under: string): string {
  const a = parseColour(over), b = parseColour(under);
  if (!a || !b) return over;
  const mix = (k: number) => Math.round(a[k]! * a[3] + b[k]! * (1 - a[3]));
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}
