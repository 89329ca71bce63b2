// Conditions as the map shows them: device state, cell roll-up (same rule as the server), colours.
import { worstCondition, type Condition, type DeviceView, type GridCellStatus } from '@citygrid/contract';

export type CellCondition = GridCellStatus['condition'];
/** What one device looks like on the map: its street condition, or offline. */
export type DeviceState = Condition | 'offline';
export const DEVICE_STATES: readonly DeviceState[] = ['alarm', 'warn', 'ok', 'offline'];

export function deviceState(d: Pick<DeviceView, 'online' | 'condition'>): DeviceState {
  return d.online ? d.condition : 'offline';
}

/** Sort key: trouble first. */
export const STATE_RANK: Record<DeviceState, number> = { alarm: 0, warn: 1, offline: 2, ok: 3 };

export interface CellLive extends GridCellStatus { alarm: number; warn: number }

/**
 * Each cell's condition from its devices: worst condition among online devices;
 * 'offline' when it has devices and none is online; 'none' without devices.
 */
export function rollUpCells(
  cellIds: Iterable<string>, devices: Iterable<DeviceView>,
): Map<string, CellLive> {
  const out = new Map<string, CellLive>();
  const conditions = new Map<string, Condition[]>();
  for (const id of cellIds) {
    out.set(id, { devices: 0, online: 0, condition: 'none', alarm: 0, warn: 0 });
    conditions.set(id, []);
  }
  for (const d of devices) {
    const cell = out.get(d.grid);
    if (!cell) continue;
    cell.devices++;
    if (!d.online) continue;
    cell.online++;
    if (d.condition === 'alarm') cell.alarm++;
    else if (d.condition === 'warn') cell.warn++;
    conditions.get(d.grid)!.push(d.condition);
  }
  for (const [id, cell] of out) {
    if (cell.devices === 0) continue;
    cell.condition = cell.online === 0 ? 'offline' : worstCondition(conditions.get(id)!);
  }
  return out;
}

/** Solid colours (markers, dots, text). */
export const STATE_COLOR: Record<CellCondition, string> = {
  ok: '#22c55e',
  warn: '#f59e0b',
  alarm: '#ef4444',
  offline: '#64748b',
  none: '#94a3b8',
};

/** Translucent fills for grid cells on the dark map. */
export const CELL_FILL: Record<CellCondition, string> = {
  ok: 'rgba(34, 197, 94, 0.15)',
  // Device conditions stay quieter than alert colours (lib/alerts.ts): an alert cell must stand out.
  warn: 'rgba(245, 158, 11, 0.32)',
  alarm: 'rgba(239, 68, 68, 0.4)',
  offline: 'rgba(100, 116, 139, 0.50)',
  none: 'rgba(148, 163, 184, 0.06)',
};
