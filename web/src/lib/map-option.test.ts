// Proves the map option: cells are painted by alert colour over device condition, drawn as a custom
// polygon series (so a colour change touches only that series), markers only on zoom in big cities,
// and changedParts sends only what differs from the last draw.
import type { DistrictView as District, GridCellView as GridCell } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { SEVERITY_COLOR, SEVERITY_FILL } from './alerts';
import { CELL_FILL } from './conditions';
import { cellPaint, changedParts, MAINTENANCE_COLOR, OUTSIDE_FOCUS_FILL, fullOption, liveOption, markersShown, MARKER_ZOOM, MARKERS_ALWAYS_UP_TO, type MapInput } from './map-option';

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

type CellsSeries = {
  id: string; type: string;
  data: { name: string; value: unknown[] }[];
  renderItem(params: { dataIndex: number }, api: { coord(p: number[]): number[] }): { type: string; shape: { points: number[][] }; style: { fill: string; stroke: string } } | null;
};
const cellsOf = (o: { series: unknown[] }) => o.series.find((s) => (s as { id: string }).id === 'cells') as CellsSeries;

describe('cellPaint', () => {
  it('draws a cell under maintenance with a dashed violet border over its alert colour, and says so in the series data', () => {
    const i = input({ alertColour: new Map([['a', 'red']]), maintenance: new Set(['a']) });
    expect(cellPaint(i, i.cells[0]!)).toMatchObject({ fill: SEVERITY_FILL.red, stroke: MAINTENANCE_COLOR, lineWidth: 2, maintenance: true });
    expect(cellPaint(i, i.cells[1]!)).toMatchObject({ maintenance: false });
    const before = new Map<string, string>();
    changedParts(liveOption(input({ alertColour: new Map([['a', 'red']]) })), before);
    expect(changedParts(liveOption(i), before)).toBeTruthy(); // the window alone changes the cells series
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

describe('the cells series', () => {
  it('has one item per cell named c:<id>, and renders its polygon through the geo projection in its paint', () => {
    const i = input({ alertColour: new Map([['b', 'yellow']]) });
    const series = cellsOf(liveOption(i));
    expect(series.type).toBe('custom');
    expect(series.data.map((d) => d.name)).toEqual(['c:a', 'c:b', 'c:c']);
    const el = series.renderItem({ dataIndex: 1 }, { coord: ([x, y]) => [x! * 10, y! * 10] })!;
    expect(el.type).toBe('polygon');
    expect(el.shape.points).toEqual([[10, 0], [20, 0], [20, 10], [10, 10], [10, 0]]);
    expect(el.style).toMatchObject({ fill: SEVERITY_FILL.yellow, stroke: SEVERITY_COLOR.yellow });
  });

  it('keeps the cells out of the geo: the geo holds only the district regions', () => {
    const o = fullOption(input());
    expect(o.geo.regions.map((r) => r.name)).toEqual(['d:east']);
  });
});

describe('changedParts', () => {
  it('sends only the cells series when one cell changes colour, and nothing when nothing changed', () => {
    const drawn = new Map<string, string>();
    expect(changedParts(liveOption(input()), drawn)).not.toBeNull();
    expect(changedParts(liveOption(input()), drawn)).toBeNull();
    const changed = changedParts(liveOption(input({ alertColour: new Map([['c', 'red']]) })), drawn)!;
    expect(changed.geo).toBeUndefined();
    expect(changed.series?.map((s) => s.id)).toEqual(['cells']);
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
