// Proves the map option: cells are painted by alert colour over device condition, on the cell canvas
// (cellStyles; the chart holds no cells, so a colour change sends it nothing), markers only on zoom in
// big cities, and changedParts sends only what differs from the last draw.
import type { DistrictView as District, GridCellView as GridCell } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { SEVERITY_COLOR, SEVERITY_FILL } from './alerts';
import { CELL_FILL } from './conditions';
import { cellPaint, cellStyles, changedParts, districtFill, MAINTENANCE_COLOR, OUTSIDE_FOCUS_FILL, fullOption, liveOption, markersShown, MARKER_ZOOM, MARKERS_ALWAYS_UP_TO, type MapInput } from './map-option';

const square = (x: number, y: number) => [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] as [number, number][][];
const cell = (id: string, x: number): GridCell => ({
  type: 'Feature',
  geometry: { type: 'Polygon', coordinates: square(x, 0) },
  properties: { id, name: id, district: 'east', status: { devices: 2, online: 2, condition: 'ok' } },
});
const district: District = { type: 'Feature', geometry: { type: 'Polygon', coordinates: square(0, 0) }, properties: { id: 'east', name: '东区' } };

function input(over: Partial<MapInput> = {}): MapInput {
  return {
    cells: [cell('a', 0), cell('b', 1), cell('c', 2)],
    districts: [district],
    status: new Map(),
    alertColour: new Map(),
    pulses: [],
    devices: [],
    showMarkers: true,
    selectedCell: null,
    selectedDistrict: null,
    selectedDevice: null,
    districtName: (d) => d.properties.name,
    tooltip: () => '',
    ...over,
  };
}

describe('cellPaint', () => {
  it('draws a cell under maintenance with a dashed violet border over its alert colour, and hands the canvas a dashed style', () => {
    const i = input({ alertColour: new Map([['a', 'red']]), maintenance: new Set(['a']) });
    expect(cellPaint(i, i.cells[0]!)).toMatchObject({ fill: SEVERITY_FILL.red, stroke: MAINTENANCE_COLOR, lineWidth: 2, maintenance: true });
    expect(cellPaint(i, i.cells[1]!)).toMatchObject({ maintenance: false });
    expect(cellStyles(i).map((s) => s.dashed)).toEqual([true, false, false]);
  });

  it('paints by the worst alert colour, else by the live device condition, else the condition the grid was loaded with', () => {
    const i = input({ alertColour: new Map([['a', 'red']]), status: new Map([['b', { devices: 2, online: 2, condition: 'warn', alarm: 0, warn: 1 }]]) });
    expect(cellPaint(i, i.cells[0]!)).toMatchObject({ fill: SEVERITY_FILL.red, stroke: SEVERITY_COLOR.red, selected: false });
    expect(cellPaint(i, i.cells[1]!)).toMatchObject({ fill: CELL_FILL.warn });
    expect(cellPaint(i, i.cells[2]!)).toMatchObject({ fill: CELL_FILL.ok });
  });

  it('dims the cells outside the district in focus, keeping their alert colours', () => {
    const west = { ...cell('w', 5), properties: { ...cell('w', 5).properties, district: 'west' } };
    const i = input({ cells: [cell('a', 0), west, { ...west, properties: { ...west.properties, id: 'x' } }], alertColour: new Map([['x', 'red']]), focusDistrict: 'east' });
    expect(cellPaint(i, i.cells[0]!).fill).toBe(CELL_FILL.ok);
    expect(cellPaint(i, i.cells[1]!).fill).toBe(OUTSIDE_FOCUS_FILL);
    expect(cellPaint(i, i.cells[2]!).fill).toBe(SEVERITY_FILL.red);
    expect(cellPaint({ ...i, focusDistrict: null }, i.cells[1]!).fill).toBe(CELL_FILL.ok);
  });

  it('outlines the selected cell in white, over its alert colour', () => {
    const i = input({ alertColour: new Map([['a', 'orange']]), selectedCell: 'a' });
    expect(cellPaint(i, i.cells[0]!)).toMatchObject({ fill: SEVERITY_FILL.orange, stroke: '#f8fafc', lineWidth: 2.5, selected: true });
  });
});


describe('the cell canvas and the chart', () => {
  it("gives the canvas one style per cell, in the cells' order, with each cell's paint", () => {
    const i = input({ alertColour: new Map([['b', 'yellow']]), selectedCell: 'c' });
    expect(cellStyles(i)).toEqual([
      { fill: CELL_FILL.ok, stroke: expect.any(String), lineWidth: 0.6, dashed: false, selected: false },
      { fill: SEVERITY_FILL.yellow, stroke: SEVERITY_COLOR.yellow, lineWidth: 1.6, dashed: false, selected: false },
      { fill: CELL_FILL.ok, stroke: '#f8fafc', lineWidth: 2.5, dashed: false, selected: true },
    ]);
  });

  it('keeps the cells out of the chart: the geo holds only the district regions, see-through, and no series is the cells', () => {
    const o = fullOption(input());
    expect(o.geo.regions.map((r) => r.name)).toEqual(['d:east']);
    expect(o.geo.regions[0]!.itemStyle.areaColor).toBe('rgba(0, 0, 0, 0)');
    expect(o.series.map((s) => s.id)).not.toContain('cells');
    expect(districtFill(input({ selectedDistrict: 'east' }), 'east')).not.toBe(districtFill(input(), 'east'));
  });
});

describe('changedParts', () => {
  it('sends the chart nothing when a cell changes colour (the canvas paints it), and the outline when the district selection changes', () => {
    const drawn = new Map<string, string>();
    expect(changedParts(liveOption(input()), drawn)).not.toBeNull();
    expect(changedParts(liveOption(input()), drawn)).toBeNull();
    expect(changedParts(liveOption(input({ alertColour: new Map([['c', 'red']]) })), drawn)).toBeNull();
    const changed = changedParts(liveOption(input({ selectedDistrict: 'east' })), drawn)!;
    expect(changed.series?.map((s) => s.id)).toEqual(['district-outline']);
  });
});

describe('markersShown', () => {
  it('always shows markers in a small city, and in a big one only from MARKER_ZOOM on', () => {
    expect(markersShown(MARKERS_ALWAYS_UP_TO, 1)).toBe(true);
    expect(markersShown(MARKERS_ALWAYS_UP_TO + 1, 1)).toBe(false);
    expect(markersShown(5000, MARKER_ZOOM)).toBe(true);
  });

  it('leaves the marker series empty when hidden', () => {
    const devices = [{ id: 'wl-1', location: [0.5, 0.5], online: true, condition: 'ok' }] as unknown as MapInput['devices'];
    const markers = (show: boolean) => liveOption(input({ devices, showMarkers: show })).series
      .filter((s) => s.id.startsWith('dev-')).flatMap((s) => (s as { data: unknown[] }).data);
    expect(markers(true)).toHaveLength(1);
    expect(markers(false)).toHaveLength(0);
  });
});
