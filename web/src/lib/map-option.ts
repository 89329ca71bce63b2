// ECharts option for the grid map: districts as see-through geo regions (for hover, tooltips and
// clicks), district outlines and names, device markers by state. The districts' areas and the cells
// are painted on a canvas under the chart (map-cells.ts) from cellStyles / districtFill. Full option
// for a rebuild, live part for updates.
import type { DeviceView, Position, Severity, DistrictView as District, GridCellView as GridCell } from '@citygrid/contract';
import { SEVERITY_COLOR, SEVERITY_FILL } from './alerts';
import { CELL_FILL, deviceState, STATE_COLOR, type CellLive, type DeviceState } from './conditions';
import type { CellStyle } from './map-cells';
import { boundsOf, districtKey, labelPoint, MAP_NAME, outlines } from './map-geometry';

export interface MapInput {
  cells: GridCell[];
  districts: District[];
  status: Map<string, CellLive>;
  /** Worst colour of each cell's active alerts: wins over the device condition. */
  alertColour: Map<string, Severity>;
  /** Cells under a maintenance window now: a dashed violet border (their alerts are not notified). */
  maintenance?: ReadonlySet<string>;
  /** Where a new red/orange alert just arrived: a brief ripple. */
  pulses: { position: Position; severity: Severity }[];
  devices: Iterable<DeviceView>;
  /** Whether device markers are drawn (a big city shows them only once zoomed in). */
  showMarkers: boolean;
  selectedCell: string | null;
  selectedDistrict: string | null;
  /** A district in focus (the video wall): the other districts' cells are dimmed, their alert colours kept. */
  focusDistrict?: string | null;
  /** Where the device whose detail is open stands. */
  selectedDevice: { id: string; location: Position } | null;
  districtName: (d: District) => string;
  tooltip: (params: unknown) => string;
}

const MARKER_STATES: DeviceState[] = ['offline', 'ok', 'warn', 'alarm'];
/** A cell's thin default border. */
export const CELL_BORDER = 'rgba(125, 170, 220, 0.32)';

const SEE_THROUGH = 'rgba(0, 0, 0, 0)';

/** The districts as geo regions: see-through (the cell canvas under the chart paints them), still hovered and clicked. */
function districtRegions(input: MapInput) {
  return input.districts.map((d) => ({
    name: districtKey(d.properties.id),
    itemStyle: { areaColor: SEE_THROUGH, borderColor: SEE_THROUGH, borderWidth: 0 },
    emphasis: { itemStyle: { areaColor: SEE_THROUGH, borderColor: SEE_THROUGH }, label: { show: false } },
  }));
}

/** How a cell is painted: its fill and border, by alert colour (wins) or device condition; a dashed border under maintenance. */
export interface CellPaint { fill: string; stroke: string; lineWidth: number; selected: boolean; maintenance: boolean }

export const MAINTENANCE_COLOR = '#a78bfa';
/** A cell outside the district in focus, without an alert. */
export const OUTSIDE_FOCUS_FILL = 'rgba(8, 16, 30, 0.55)';
const MAINTENANCE_DASH = [5, 3];

export function cellPaint(input: MapInput, cell: GridCell): CellPaint {
  const id = cell.properties.id;
  const condition = input.status.get(id)?.condition ?? cell.properties.status.condition;
  const alert = input.alertColour.get(id);
  const selected = id === input.selectedCell;
  const maintenance = input.maintenance?.has(id) ?? false;
  const outside = Boolean(input.focusDistrict) && cell.properties.district !== input.focusDistrict;
  return {
    fill: alert ? SEVERITY_FILL[alert] : outside ? OUTSIDE_FOCUS_FILL : CELL_FILL[condition],
    stroke: selected ? '#f8fafc' : maintenance ? MAINTENANCE_COLOR : alert ? SEVERITY_COLOR[alert] : CELL_BORDER,
    lineWidth: selected ? 2.5 : maintenance ? 2 : alert ? 1.6 : 0.6,
    selected,
    maintenance,
  };
}

/** Every cell's paint, in the cells' order, as the cell canvas takes it (map-cells.ts). */
export function cellStyles(input: MapInput): CellStyle[] {
  return input.cells.map((c) => {
    const p = cellPaint(input, c);
    return { fill: p.fill, stroke: p.stroke, lineWidth: p.lineWidth, dashed: p.maintenance, selected: p.selected };
  });
}

/** The district areas under the cells (painted on the cell canvas; the geo's regions are see-through). */
export function districtFill(input: MapInput, id: string): string {
  return id === input.selectedDistrict ? '#132a48' : '#0c1a2e';
}

function markerSeries(devices: Iterable<DeviceView>, show: boolean) {
  const data: Record<DeviceState, { name: string; value: [number, number] }[]> = {
    offline: [], ok: [], warn: [], alarm: [],
  };
  for (const d of show ? devices : []) {
    const [lng, lat] = d.location;
    if (Number.isFinite(lng) && Number.isFinite(lat)) data[deviceState(d)].push({ name: d.id, value: [lng, lat] });
  }
  return MARKER_STATES.map((state) => ({
    id: `dev-${state}`,
    // Static on purpose: an animated ripple (effectScatter) redraws the whole map every frame.
    type: 'scatter',
    coordinateSystem: 'geo',
    // Thousands of same-coloured points: drawn as one path; hover and click still work.
    large: true,
    largeThreshold: 600,
    symbolSize: state === 'alarm' ? 9 : state === 'warn' ? 7 : 5,
    itemStyle: {
      color: STATE_COLOR[state], borderColor: state === 'alarm' ? '#fee2e2' : '#06101f', borderWidth: state === 'alarm' ? 1.2 : 0.8,
      opacity: state === 'offline' ? 0.8 : 1, shadowBlur: state === 'alarm' ? 10 : 0, shadowColor: STATE_COLOR.alarm,
    },
    emphasis: { scale: 1.8 },
    // Own canvas layer: a marker changing state repaints the markers, not the 1,000+ cell polygons.
    zlevel: 1,
    z: 5 + MARKER_STATES.indexOf(state),
    data: data[state],
  }));
}

function outlineSeries(input: MapInput) {
  return {
    id: 'district-outline',
    type: 'lines',
    coordinateSystem: 'geo',
    polyline: true,
    silent: true,
    z: 3,
    lineStyle: { color: 'rgba(96, 165, 250, 0.75)', width: 1.4, opacity: 1 },
    data: outlines(input.districts).map((o) => ({
      coords: o.coords,
      lineStyle: o.name === input.selectedDistrict ? { color: '#bae6fd', width: 2.6 } : undefined,
    })),
  };
}

/** A ring around the device whose detail is open. */
function selectedSeries(input: MapInput) {
  const d = input.selectedDevice;
  return {
    id: 'selected-device',
    type: 'scatter',
    coordinateSystem: 'geo',
    silent: true,
    zlevel: 1,
    z: 10,
    symbolSize: 20,
    itemStyle: { color: 'transparent', borderColor: '#f8fafc', borderWidth: 2, shadowBlur: 10, shadowColor: '#38bdf8' },
    data: d ? [{ name: d.id, value: d.location }] : [],
  };
}

/** A one-off ripple where a red or orange alert just arrived (removed after a few seconds). */
function pulseSeries(input: MapInput) {
  return {
    id: 'alert-pulse',
    type: 'effectScatter',
    coordinateSystem: 'geo',
    silent: true,
    // The ripple animates every frame: on a layer of its own, so only it is repainted meanwhile.
    zlevel: 2,
    z: 11,
    symbolSize: 14,
    rippleEffect: { scale: 5, period: 1.6, brushType: 'stroke', number: 2 },
    itemStyle: { color: (p: { data?: { severity?: Severity } }) => SEVERITY_COLOR[p.data?.severity ?? 'red'] },
    data: input.pulses.map((p) => ({ value: p.position, severity: p.severity })),
  };
}

/** Up to this many devices, markers show at every zoom; beyond it, from MARKER_ZOOM on. */
export const MARKERS_ALWAYS_UP_TO = 800;
export const MARKER_ZOOM = 2.5;
export const ZOOM_MIN = 0.5;
export const ZOOM_MAX = 40;

/** Markers on zoom: painting thousands of them at the city overview costs frames and says little. */
export function markersShown(deviceCount: number, zoom: number): boolean {
  return deviceCount <= MARKERS_ALWAYS_UP_TO || zoom >= MARKER_ZOOM;
}

/** The parts that change with live data and selection. */
export function liveOption(input: MapInput) {
  return {
    geo: { regions: districtRegions(input) },
    series: [outlineSeries(input), ...markerSeries(input.devices, input.showMarkers), selectedSeries(input), pulseSeries(input)],
  };
}

/** Everything: used on first draw, when the geometry or the language changes, and on reset. */
export function fullOption(input: MapInput) {
  const bounds = boundsOf(input.cells.length ? input.cells : input.districts);
  const midLat = bounds ? (bounds[0][1] + bounds[1][1]) / 2 : 30;
  const live = liveOption(input);
  return {
    backgroundColor: 'transparent',
    animation: false,
    tooltip: {
      trigger: 'item',
      confine: true,
      backgroundColor: 'rgba(7, 14, 28, 0.94)',
      borderColor: '#1e3a5f',
      padding: [8, 12],
      textStyle: { color: '#e2e8f0', fontSize: 13 },
      formatter: input.tooltip,
    },
    geo: {
      map: MAP_NAME,
      nameProperty: 'key',
      roam: true,
      ...(bounds ? { boundingCoords: bounds } : {}),
      aspectScale: Math.cos((midLat * Math.PI) / 180),
      top: 16, bottom: 16, left: 16, right: 16,
      scaleLimit: { min: ZOOM_MIN, max: ZOOM_MAX },
      selectedMode: false,
      label: { show: false },
      itemStyle: { areaColor: SEE_THROUGH, borderColor: SEE_THROUGH, borderWidth: 0 },
      emphasis: { itemStyle: { areaColor: SEE_THROUGH }, label: { show: false } },
      tooltip: { show: true, formatter: input.tooltip },
      regions: live.geo.regions,
    },
    series: [
      ...live.series,
      {
        id: 'district-label',
        type: 'scatter',
        coordinateSystem: 'geo',
        symbolSize: 0,
        silent: true,
        z: 4,
        label: {
          show: true, formatter: '{b}', color: 'rgba(186, 230, 253, 0.85)', fontSize: 14, fontWeight: 600,
          textBorderColor: 'rgba(3, 7, 18, 0.9)', textBorderWidth: 3,
        },
        data: input.districts.flatMap((d) => {
          const p = labelPoint(d);
          return p ? [{ name: input.districtName(d), value: p }] : [];
        }),
      },
    ],
  };
}

/**
 * The parts of a live option that differ from what was drawn last (`drawn` holds fingerprints of
 * the geo regions and of each series by id, and is updated); null when nothing changed. Parts left
 * out of an option are kept as they are by ECharts' merge.
 */
export function changedParts(
  option: { geo: { regions: unknown }; series: Array<{ id: string }> },
  drawn: Map<string, string>,
): { geo?: { regions: unknown }; series?: Array<{ id: string }> } | null {
  const out: { geo?: { regions: unknown }; series?: Array<{ id: string }> } = {};
  const regions = JSON.stringify(option.geo.regions);
  if (drawn.get('geo') !== regions) {
    drawn.set('geo', regions);
    out.geo = { regions: option.geo.regions };
  }
  const series = option.series.filter((s) => {
    const key = JSON.stringify(s);
    if (drawn.get(s.id) === key) return false;
    drawn.set(s.id, key);
    return true;
  });
  if (series.length) out.series = series;
  return out.geo || out.series ? out : null;
}
