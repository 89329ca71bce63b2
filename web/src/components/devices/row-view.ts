// What DeviceRow displays: already translated and formatted by DeviceList.
import type { DeviceState } from '../../lib/conditions';

export interface DeviceRowValue { metric: string; label: string; text: string; condition: string }
export interface DeviceRowView {
  id: string;
  name?: string;
  kind: string;
  cell: string;
  state: DeviceState;
  stateLabel: string;
  online: boolean;
  values: DeviceRowValue[];
  age: string;
  /** Under a maintenance window (its own or its cell's): the badge's tooltip, else null. */
  maintenance: string | null;
}
