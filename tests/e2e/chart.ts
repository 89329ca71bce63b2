// What the grid map has actually drawn, read in the page from the ECharts instance the dashboard hangs
// on the chart's element (useEChart: a non-enumerable `echarts` property on the element ECharts marks
// with `_echarts_instance_`): the cells series' rendered polygons, their fill and stroke, and a point
// inside each where the pointer finds that very polygon (nothing drawn over it).
import type { Page } from 'playwright-core';

export interface DrawnCell {
  /** The grid cell id (the series item is named c:<id>). */
  id: string;
  /** Polygons drawn for it (a MultiPolygon cell has several). */
  polygons: number;
  /** Fill and stroke of its (first) polygon, as handed to the canvas. */
  fill: string | null;
  stroke: string | null;
  /** A point inside it, in page coordinates, where hit-testing finds this cell: null if none was found. */
  hover: { x: number; y: number } | null;
}

/** Every item of the map's `cells` series with what was rendered for it (empty before the first draw). */
export function drawnCells(page: Page): Promise<DrawnCell[]> {
  return page.getByTestId('grid-map').locator('[_echarts_instance_]').evaluate((el) => {
    // Loosely typed: the test's tsconfig has no DOM or ECharts types.
    type Shape = { points?: number[][] };
    type Drawn = {
      isGroup?: boolean; childrenRef?: () => Drawn[]; parent?: Drawn | null; type?: string;
      style?: { fill?: unknown; stroke?: unknown }; shape?: Shape; contain?(x: number, y: number): boolean;
    };
    type Chart = {
      getModel(): { getSeries(): { id: string; getData(): { count(): number; getName(i: number): string; getItemGraphicEl(i: number): Drawn | undefined } }[] } | null;
      getZr(): { handler: { findHover(x: number, y: number): { target?: Drawn } | undefined } };
    };
    const chart = (el as unknown as { echarts?: Chart }).echarts;
    const series = chart?.getModel()?.getSeries().find((s) => s.id === 'cells');
    if (!chart || !series) return [];
    const box = (el as unknown as { getBoundingClientRect(): { left: number; top: number } }).getBoundingClientRect();
    const data = series.getData();
    const out: DrawnCell[] = [];
    for (let i = 0; i < data.count(); i++) {
      const root = data.getItemGraphicEl(i);
      const polygons = !root ? [] : root.isGroup ? (root.childrenRef?.() ?? []) : [root];
      const drawn = polygons.filter((p) => p.type === 'polygon' && (p.shape?.points?.length ?? 0) >= 3);
      const first = drawn[0];
      let hover: DrawnCell['hover'] = null;
      for (const p of drawn) {
        const pts = p.shape!.points!;
        // the centroid of the ring's vertices; fine for the grid's compact cells, checked below
        const x = pts.reduce((s, q) => s + q[0]!, 0) / pts.length;
        const y = pts.reduce((s, q) => s + q[1]!, 0) / pts.length;
        if (!p.contain?.(x, y)) continue;
        const target = chart.getZr().handler.findHover(x, y)?.target;
        if (target === p || (target && target.parent === p)) {
          hover = { x: box.left + x, y: box.top + y };
          break;
        }
      }
      out.push({
        id: data.getName(i).replace(/^c:/, ''),
        polygons: drawn.length,
        fill: typeof first?.style?.fill === 'string' ? first.style.fill : null,
        stroke: typeof first?.style?.stroke === 'string' ? first.style.stroke : null,
        hover,
      });
    }
    return out;
  });
}

/** Fill of each drawn cell by id. */
export async function cellFills(page: Page): Promise<Map<string, string | null>> {
  return new Map((await drawnCells(page)).map((c) => [c.id, c.fill]));
}
