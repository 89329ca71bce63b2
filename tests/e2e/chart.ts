// What the grid map has actually drawn, read in the page: the cells are painted on the map's cell
// canvas (web/src/lib/map-cells.ts), which carries a non-enumerable `cellMap` property (useCellCanvas):
// each cell's fill and stroke as last painted, and a point inside it where the canvas's hit-testing
// finds that very cell. That point must also have nothing of the chart's upper layers over it (device
// markers, zlevel ≥ 1): the chart's own hit-testing there finds a district region or nothing.
import type { Page } from 'playwright-core';

export interface DrawnCell {
  /** The grid cell id. */
  id: string;
  /** 1 once the cell has been painted, else 0. */
  polygons: number;
  /** Fill and stroke the cell was last painted with. */
  fill: string | null;
  stroke: string | null;
  /** A point inside it, in page coordinates, where hit-testing finds this cell: null if none was found. */
  hover: { x: number; y: number } | null;
}

/** Every cell of the map with what was painted for it (empty before the first draw). */
export function drawnCells(page: Page): Promise<DrawnCell[]> {
  return page.getByTestId('grid-map').evaluate((map) => {
    // Loosely typed: the test's tsconfig has no DOM or ECharts types.
    type El = { querySelector(s: string): El | null; getBoundingClientRect(): { left: number; top: number } };
    type CellMap = { drawn(): { id: string; polygons: number; fill: string | null; stroke: string | null; at: { x: number; y: number } | null }[] };
    type Chart = { getZr(): { handler: { findHover(x: number, y: number): { target?: { zlevel?: number } } | undefined } } };
    const root = map as unknown as El;
    const canvas = root.querySelector('[data-testid="map-cell-canvas"]');
    const cellMap = (canvas as unknown as { cellMap?: CellMap } | null)?.cellMap;
    const chartEl = root.querySelector('[_echarts_instance_]');
    const chart = (chartEl as unknown as { echarts?: Chart } | null)?.echarts;
    if (!canvas || !cellMap || !chart || !chartEl) return [];
    const box = chartEl.getBoundingClientRect();
    return cellMap.drawn().map((c) => {
      const target = c.at ? chart.getZr().handler.findHover(c.at.x, c.at.y)?.target : undefined;
      const free = c.at && (!target || (target.zlevel ?? 0) === 0);
      return { id: c.id, polygons: c.polygons, fill: c.fill, stroke: c.stroke, hover: free ? { x: box.left + c.at!.x, y: box.top + c.at!.y } : null };
    });
  });
}

/** Fill of each drawn cell by id. */
export async function cellFills(page: Page): Promise<Map<string, string | null>> {
  return new Map((await drawnCells(page)).map((c) => [c.id, c.fill]));
}
