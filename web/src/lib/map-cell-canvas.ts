// The grid cells on a canvas of their own, under the ECharts map (which keeps the district outlines,
// names, markers, tooltips and clicks). Why: ECharts draws and diffs one element per cell, so 11,000
// cells cost ~400 ms a frame while zooming and ~200 ms per colour update. Software rasterising all
// 11,000 cells still takes tens of milliseconds, so this canvas does it as rarely as it can:
//  - live changes repaint only the cells that changed (and, when a border changed, their neighbours):
//    translucent paints are made opaque over their district's colour, so a cell painted again over
//    itself comes out exactly as in a full draw;
//  - while the map is being zoomed or panned, the last full picture is only moved and scaled
//    (one drawImage); everything is drawn again once the map has been still for SETTLE_MS;
//  - a full draw fills cells in batches by colour, a few hundred cells a path (one huge path fills
//    several times slower), from Path2Ds in map coordinates built once (simplified when cells are
//    small on screen), and leaves out the thin default borders while cells are too small to show them.
import type { GridCellView as GridCell, Ring } from '@citygrid/contract';
import { CellIndex, coarseRing, invert, opaqueOver, outerRings, type Affine, type CellStyle } from './map-cells';

/** Below this many pixels across, a cell is drawn simplified and without its thin default border. */
export const SMALL_CELL_PX = 14;
/** How long the map must be still after a zoom or pan before everything is drawn again. */
export const SETTLE_MS = 250;
const CHUNK = 256;
const DASH = [5, 3];
const EMPHASIS = { fill: 'rgba(56, 189, 248, 0.45)', stroke: '#e0f2fe', lineWidth: 1.5 };

type Detail = 'full' | 'coarse';
const strokeKey = (s: CellStyle) => `${s.stroke}|${s.lineWidth}|${s.dashed ? 1 : 0}|${s.selected ? 1 : 0}`;
const same = (a: Affine, b: Affine) => Math.abs(a.a - b.a) + Math.abs(a.b - b.b) + Math.abs(a.c - b.c) + Math.abs(a.d - b.d) < 1e-9 * Math.abs(a.a) && Math.abs(a.e - b.e) + Math.abs(a.f - b.f) < 1e-3;

export class CellCanvas {
  private rings: Ring[][] = [];
  private paths: Record<Detail, Path2D[]> = { full: [], coarse: [] };
  private cellDistrict: string[] = [];
  private districts: { id: string; path: Path2D; fill: string }[] = [];
  private districtFill = new Map<string, string>();
  private opaque = new Map<string, string>();
  private index: CellIndex | null = null;
  private cellSize = 0;
  private styles: CellStyle[] = [];
  private transform: Affine | null = null;
  /** The transform of what is on the canvas now (null: nothing drawn yet). */
  private painted: { t: Affine; m: DOMMatrix } | null = null;
  private needFull = true;
  private pending = new Set<number>();
  private snapshot: HTMLCanvasElement | null = null;
  private hovered = -1;
  /** What the canvas shows per cell (for tests and people reading the DOM), and counters for the benchmark. */
  drawnStyles: CellStyle[] = [];
  draws = 0;
  partialDraws = 0;
  drawMs = 0;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly hover: HTMLCanvasElement, private readonly defaultStroke: string) {}

  setCells(cells: GridCell[]): void {
    this.rings = cells.map(outerRings);
    this.cellDistrict = cells.map((c) => c.properties.district);
    let area = 0;
    for (const rs of this.rings) {
      const r = rs[0] ?? [];
      if (!r.length) continue;
      const xs = r.map((p) => p[0]), ys = r.map((p) => p[1]);
      area += (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
    }
    this.cellSize = Math.sqrt(area / Math.max(1, this.rings.length));
    const tol = this.cellSize * 0.12;
    this.paths = { full: this.rings.map((rs) => toPath(rs)), coarse: this.rings.map((rs) => toPath(rs.map((r) => coarseRing(r, tol)))) };
    this.index = new CellIndex(this.rings);
    this.styles = [];
    this.hovered = -1;
    this.invalidate();
  }

  /** The district areas painted under the cells: each one's polygons (rings, holes too) and fill. */
  setDistricts(districts: { id: string; polygons: Ring[][]; fill: string }[]): void {
    this.districts = districts.map((d) => ({ id: d.id, path: toPath(d.polygons.flat()), fill: d.fill }));
    this.districtFill = new Map(districts.map((d) => [d.id, d.fill]));
    this.invalidate();
  }

  /** New paints: the cells whose fill alone changed are repainted alone, with their neighbours when a border changed. */
  setStyles(next: CellStyle[]): void {
    const before = this.styles;
    this.styles = next;
    if (before.length !== next.length) return this.invalidate();
    for (let i = 0; i < next.length; i++) {
      const a = before[i]!, b = next[i]!;
      if (a === b || (a.fill === b.fill && strokeKey(a) === strokeKey(b))) continue;
      if (a.selected !== b.selected) return this.invalidate(); // its glow reaches far
      this.pending.add(i);
      if (strokeKey(a) !== strokeKey(b)) for (const j of this.index?.near(i) ?? []) this.pending.add(j);
    }
    if (this.pending.size > next.length / 3) this.invalidate();
  }

  setTransform(t: Affine | null): void {
    this.transform = t;
  }

  /** Pixels across a typical cell now. */
  cellPixels(): number {
    const t = this.transform;
    return t ? this.cellSize * Math.sqrt(Math.abs(t.a * t.d - t.b * t.c)) : 0;
  }

  /** The cell under a point in CSS pixels of the canvas, or -1. */
  cellAt(x: number, y: number): number {
    const t = this.transform;
    return t && this.index ? this.index.find(invert(t, [x, y])) : -1;
  }

  /** Brings the canvas up to date. `settled`: no zoom or pan under way (else a moved map is only shifted). */
  update(settled: boolean): void {
    const t = this.transform;
    const t0 = performance.now();
    const moved = !this.painted || !t || !same(this.painted.t, t);
    if (!t) this.clear();
    else if (moved && !settled && this.painted) this.blit(t);
    else if (moved || this.needFull) this.drawAll(t);
    else if (this.pending.size) this.drawSome(t);
    else return;
    this.drawHover();
    this.drawMs += performance.now() - t0;
  }

  /** Forces a full draw now (benchmark). */
  redraw(): void {
    this.invalidate();
    this.update(true);
  }

  setHovered(i: number): void {
    if (i === this.hovered) return;
    this.hovered = i;
    this.drawHover();
  }

  private invalidate(): void {
    this.needFull = true;
    this.pending.clear();
  }

  private matrix(t: Affine): DOMMatrix {
    const r = this.canvas.width / Math.max(1, this.canvas.clientWidth || this.canvas.width);
    return new DOMMatrix([t.a * r, t.b * r, t.c * r, t.d * r, t.e * r, t.f * r]);
  }

  private get ratio(): number {
    return this.canvas.width / Math.max(1, this.canvas.clientWidth || this.canvas.width);
  }

  private context(): CanvasRenderingContext2D | null {
    const ctx = this.canvas.getContext('2d');
    ctx?.setTransform(1, 0, 0, 1, 0, 0);
    return ctx;
  }

  private clear(): void {
    this.context()?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = null;
  }

  /** The cell's fill as painted: opaque over its district's colour. */
  private fillOf(i: number): string {
    const fill = this.styles[i]!.fill, under = this.districtFill.get(this.cellDistrict[i]!) ?? '#0c1a2e';
    const key = `${fill}|${under}`;
    let out = this.opaque.get(key);
    if (out === undefined) this.opaque.set(key, (out = opaqueOver(fill, under)));
    return out;
  }

  private drawAll(t: Affine): void {
    const ctx = this.context();
    if (!ctx) return;
    const m = this.matrix(t);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(m);
    for (const d of this.districts) {
      ctx.fillStyle = d.fill;
      ctx.fill(d.path, 'evenodd');
    }
    this.paintCells(ctx, m, this.styles.map((_, i) => i));
    this.painted = { t, m };
    this.needFull = false;
    this.pending.clear();
    this.snapshot = null;
    this.drawnStyles = this.styles;
    this.draws++;
  }

  private drawSome(t: Affine): void {
    const ctx = this.context();
    if (!ctx) return;
    this.paintCells(ctx, this.matrix(t), [...this.pending], false);
    // the borders that are not the thin default ones go on top, as in a full draw
    const small = this.cellPixels() < SMALL_CELL_PX;
    // (the selected cell's glow is not painted again: it would build up)
    this.strokeCells(ctx, this.matrix(t), this.styles.flatMap((s, i) => (s.stroke !== this.defaultStroke || s.dashed ? [i] : [])), small, false);
    this.pending.clear();
    this.drawnStyles = this.styles;
    this.partialDraws++;
  }

  /** Fills then borders of the given cells, batched by paint. */
  private paintCells(ctx: CanvasRenderingContext2D, m: DOMMatrix, ids: number[], glow = true): void {
    const small = this.cellPixels() < SMALL_CELL_PX;
    const paths = this.paths[small ? 'coarse' : 'full'];
    ctx.setTransform(m);
    const byFill = new Map<string, number[]>();
    for (const i of ids) {
      const f = this.fillOf(i);
      let list = byFill.get(f);
      if (!list) byFill.set(f, (list = []));
      list.push(i);
    }
    for (const [fill, list] of byFill) {
      ctx.fillStyle = fill;
      for (let k = 0; k < list.length; k += CHUNK) ctx.fill(union(paths, list.slice(k, k + CHUNK)));
    }
    this.strokeCells(ctx, m, ids, small, glow);
  }

  /** A border's colour as painted: the thin default one blended over the cell's own (opaque) fill. */
  private strokeOf(i: number): string {
    const s = this.styles[i]!;
    if (s.stroke !== this.defaultStroke || s.dashed) return s.stroke;
    const fill = this.fillOf(i), key = `${s.stroke}|${fill}`;
    let out = this.opaque.get(key);
    if (out === undefined) this.opaque.set(key, (out = opaqueOver(s.stroke, fill)));
    return out;
  }

  private strokeCells(ctx: CanvasRenderingContext2D, m: DOMMatrix, ids: number[], small: boolean, glow: boolean): void {
    const paths = this.paths[small ? 'coarse' : 'full'];
    const r = this.ratio;
    const groups = new Map<string, number[]>();
    for (const i of ids) {
      const s = this.styles[i]!;
      if (small && s.stroke === this.defaultStroke && !s.dashed) continue; // too small to show
      const key = `${this.strokeOf(i)}|${strokeKey(s)}`;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(i);
    }
    // the selected cell last, over every other border
    const ordered = [...groups.values()].sort((a, b) => Number(this.styles[a[0]!]!.selected) - Number(this.styles[b[0]!]!.selected));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (const members of ordered) {
      const s = this.styles[members[0]!]!;
      ctx.strokeStyle = this.strokeOf(members[0]!);
      ctx.lineWidth = s.lineWidth * r;
      ctx.setLineDash(s.dashed ? DASH.map((d) => d * r) : []);
      ctx.shadowBlur = s.selected && glow ? 12 * r : 0;
      ctx.shadowColor = 'rgba(248, 250, 252, 0.6)';
      for (let k = 0; k < members.length; k += CHUNK) {
        const px = new Path2D();
        px.addPath(union(paths, members.slice(k, k + CHUNK)), m);
        ctx.stroke(px);
      }
    }
    ctx.shadowBlur = 0;
    ctx.setLineDash([]);
  }

  /** While zooming or panning: the last full picture, moved and scaled to where the map is now. */
  private blit(t: Affine): void {
    const ctx = this.context();
    if (!ctx || !this.painted) return;
    if (!this.snapshot) {
      this.snapshot = document.createElement('canvas');
      this.snapshot.width = this.canvas.width;
      this.snapshot.height = this.canvas.height;
      this.snapshot.getContext('2d')?.drawImage(this.canvas, 0, 0);
    }
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(this.matrix(t).multiply(this.painted.m.inverse()));
    ctx.drawImage(this.snapshot, 0, 0);
  }

  private drawHover(): void {
    const ctx = this.hover.getContext('2d');
    const t = this.transform;
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.hover.width, this.hover.height);
    const path = this.paths.full[this.hovered];
    if (!t || !path) return;
    const px = new Path2D();
    px.addPath(path, this.matrix(t));
    ctx.fillStyle = EMPHASIS.fill;
    ctx.fill(px);
    ctx.strokeStyle = EMPHASIS.stroke;
    ctx.lineWidth = EMPHASIS.lineWidth * this.ratio;
    ctx.stroke(px);
  }
}

function toPath(rings: Ring[]): Path2D {
  const p = new Path2D();
  for (const r of rings) {
    r.forEach(([x, y], k) => (k === 0 ? p.moveTo(x, y) : p.lineTo(x, y)));
    p.closePath();
  }
  return p;
}

function union(paths: Path2D[], ids: number[]): Path2D {
  const p = new Path2D();
  for (const i of ids) p.addPath(paths[i]!);
  return p;
}
