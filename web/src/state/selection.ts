// What the operator has narrowed the view to: shared by the map and the device list.
import type { DeviceKind } from '@citygrid/contract';
import { reactive } from 'vue';
import type { DeviceState } from '../lib/conditions';

export interface Selection {
  search: string;
  district: string | null;
  cell: string | null;
  kind: DeviceKind | null;
  state: DeviceState | null;
}

export const selection = reactive<Selection>({
  search: '',
  district: null,
  cell: null,
  kind: null,
  state: null,
});

/** Click on a cell: filter to it; a second click releases it. */
export function toggleCell(cell: string): void {
  selection.cell = selection.cell === cell ? null : cell;
}

export function clearSelection(): void {
  Object.assign(selection, { search: '', district: null, cell: null, kind: null, state: null });
}
