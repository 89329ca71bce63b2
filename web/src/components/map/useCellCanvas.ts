// Glue between the grid map's ECharts instance and the cell canvas under it (lib/map-cell-canvas.ts):
// keeps the canvases sized to the map, follows the geo's transform (after each roam and each chart
// render), updates at most once a frame (a roam under way only shifts the last picture; SETTLE_MS after
// the last one it is drawn again), highlights the cell under the pointer, and says which cell is where.
// The cell canvas carries a non-enumerable `cellMap` property for browser tests and the console.
import type { DistrictView as District, GridCellView as GridCell, Position, Ring } from '@citygrid/contract';
import { onBeforeUnmount, onMounted, type Ref } from 'vue';
import type { ECharts } from '../../lib/echarts';
import { CellCanvas, SETTLE_MS } from '../../lib/map-cell-canvas';
import { affineFrom, type Affine, type CellStyle } from '../../lib/map-cells';
import { labelPoint } from '../../lib/map-geometry';
import { CELL_BORDER } from '../../lib/map-option';

export const CELL_MAP_PROPERTY = 'cellMap';

export function useCellCanvas(stage: Ref<HTMLElement | null>, cellsEl: Ref<HTMLCanvasElement | null>, hoverEl: Ref<HTMLCanvasElement | null>, chart: () => ECharts | null) {
  let layer: CellCanvas | null = null;
  let cells: GridCell[] = [];
  // kept for a layer made later (the map may be given its cells before it is mounted)
  let areas: { id: string; polygons: Ring[][]; fill: string }[] = [];
  let styles: CellStyle[] = [];
  let origin: Position = [0, 0];
  let frame = 0;
  let lastRoam = -Infinity;
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  let observer: ResizeObserver | undefined;
  /** The pointer over the map, in CSS pixels of the stage (null: elsewhere). */
  let pointer: [number, number] | null = null;

  function transformNow(): Affine | null {
    const c = chart();
    if (!c || !cells.length) return null;
    try {
      return affineFrom((p) => c.convertToPixel({ geoIndex: 0 }, p) as number[] | null, origin);
    } catch {
      return null; // no geo yet
    }
  }

  /** Brings the canvas up to date on the next frame (it does nothing when nothing changed). */
  function request() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (!layer) return;
      layer.setTransform(transformNow());
      const settled = performance.now() - lastRoam >= SETTLE_MS;
      layer.update(settled);
      if (!settled) {
        clearTimeout(settleTimer);
        settleTimer = setTimeout(request, SETTLE_MS + 10);
      }
      if (pointer) layer.setHovered(layer.cellAt(...pointer));
    });
  }
  /** The transform on the last update, for points handed to tests. */
  const current = (): Affine | null => transformNow();

  function resize() {
    const box = stage.value;
    if (!box || !cellsEl.value || !hoverEl.value) return;
    const ratio = window.devicePixelRatio || 1;
    for (const canvas of [cellsEl.value, hoverEl.value]) {
      canvas.width = Math.max(1, Math.round(box.clientWidth * ratio));
      canvas.height = Math.max(1, Math.round(box.clientHeight * ratio));
    }
    layer?.redraw();
    request();
  }

  function onMove(e: MouseEvent) {
    const box = stage.value?.getBoundingClientRect();
    if (!box || !layer) return;
    pointer = [e.clientX - box.left, e.clientY - box.top];
    layer.setHovered(layer.cellAt(...pointer));
  }
  function onLeave() {
    pointer = null;
    layer?.setHovered(-1);
  }

  onMounted(() => {
    if (!cellsEl.value || !hoverEl.value || !stage.value) return;
    layer = new CellCanvas(cellsEl.value, hoverEl.value, CELL_BORDER);
    const l = layer;
    l.setCells(cells);
    l.setDistricts(areas);
    l.setStyles(styles);
    Object.defineProperty(cellsEl.value, CELL_MAP_PROPERTY, {
      configurable: true,
      value: {
        /** Each drawn cell: id, fill and stroke as last painted, and a point inside it (CSS px of the stage), if any. */
        drawn: () => cells.map((c, i) => {
          const s = l.drawnStyles[i];
          const at = pointInside(i);
          return { id: c.properties.id, polygons: s ? 1 : 0, fill: s?.fill ?? null, stroke: s?.stroke ?? null, at };
        }),
        cellAt: (x: number, y: number) => cells[l.cellAt(x, y)]?.properties.id ?? null,
        /** How often and how long it drew (ms; batching included in drawMs), for the benchmark. */
        stats: () => ({ draws: l.draws, partialDraws: l.partialDraws, drawMs: Math.round(l.drawMs) }),
        /** One full draw now, rasterised at once (reading a pixel back forces it): its time in ms. */
        timeDraw: () => {
          const t0 = performance.now();
          l.redraw();
          cellsEl.value?.getContext('2d')?.getImageData(0, 0, 1, 1);
          return performance.now() - t0;
        },
      },
    });
    // before zrender's own listeners, so a tooltip asked for on this move knows the cell under it
    stage.value.addEventListener('mousemove', onMove, true);
    stage.value.addEventListener('mouseleave', onLeave);
    observer = new ResizeObserver(resize);
    observer.observe(stage.value);
    resize();
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    cancelAnimationFrame(frame);
    clearTimeout(settleTimer);
    stage.value?.removeEventListener('mousemove', onMove, true);
    stage.value?.removeEventListener('mouseleave', onLeave);
    layer = null;
  });

  /** A point inside cell i where the hit-test finds it, in CSS px of the stage (its label point, else its first vertex nudged in). */
  function pointInside(i: number): { x: number; y: number } | null {
    const t = current(), c = cells[i];
    if (!t || !c || !layer) return null;
    const p = labelPoint(c);
    if (!p) return null;
    const x = t.a * p[0] + t.c * p[1] + t.e, y = t.b * p[0] + t.d * p[1] + t.f;
    return layer.cellAt(x, y) === i ? { x, y } : null;
  }

  return {
    setCells(next: GridCell[], districts: { district: District; fill: string }[]) {
      cells = next;
      const xs = next.flatMap((c) => (c.geometry.type === 'Polygon' ? c.geometry.coordinates[0] ?? [] : []));
      origin = xs.length ? [xs[0]![0], xs[0]![1]] : [0, 0];
      layer?.setCells(next);
      this.setDistricts(districts);
    },
    setDistricts(districts: { district: District; fill: string }[]) {
      areas = districts.map(({ district: d, fill }) => ({
        id: d.properties.id,
        polygons: d.geometry.type === 'Polygon' ? [d.geometry.coordinates] : (d.geometry.coordinates as Ring[][]),
        fill,
      }));
      layer?.setDistricts(areas);
      request();
    },
    setStyles(next: CellStyle[]) {
      styles = next;
      layer?.setStyles(next);
      request();
    },
    /** The geo may have moved (a chart render): redraw if it did. */
    follow: () => request(),
    /** The user is zooming or panning: shift the picture until it settles. */
    roamed: () => {
      lastRoam = performance.now();
      request();
    },
    /** The id of the cell under a point in CSS px of the map, if any. */
    cellAt: (x: number, y: number): string | null => (layer ? cells[layer.cellAt(x, y)]?.properties.id ?? null : null),
    /** The id of the cell under the pointer now, if any. */
    cellUnderPointer: (): string | null => (pointer && layer ? cells[layer.cellAt(...pointer)]?.properties.id ?? null : null),
  };
}
