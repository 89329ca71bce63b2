// Conditions as the map shows them: device state, cell roll-up (the contract's, as the server's), colours.
import { rollUpCells, type CellRollUp, type Condition, type DeviceView, type GridCellStatus } from '@citygrid/contract';

export type CellCondition = GridCellStatus['condition'];
/** What one device looks like on the map: its street condition, or offline. */
export type DeviceState = Condition | 'offline';
export const DEVICE_STATES: readonly DeviceState[] = ['alarm', 'warn', 'ok', 'offline'];

export function deviceState(d: Pick<DeviceView, 'online' | 'condition'>): DeviceState {
  return d.online ? d.condition : 'offline';
}

/** Sort key: trouble first. */
export const STATE_RANK: Record<DeviceState, number> = { alarm: 0, warn: 1, offline: 2, ok: 3 };

/** A cell as the map shows it (the contract's roll-up: the same rule as GET /api/grid). */
export type CellLive = CellRollUp;
export { rollUpCells };

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
