// The device list as the operator filtered it: trouble first, then by id.
import type { DeviceView } from '@citygrid/contract';
import { computed } from 'vue';
import { deviceState, STATE_RANK } from '../lib/conditions';
import { selection } from '../state/selection';
import { useDevices } from './useDevices';

export function useDeviceList() {
  const devices = useDevices();

  const items = computed<DeviceView[]>(() => {
    void devices.version.value;
    const q = selection.search.trim().toLowerCase();
    const out: DeviceView[] = [];
    for (const d of devices.all()) {
      if (selection.cell && d.grid !== selection.cell) continue;
      if (selection.district && d.district !== selection.district) continue;
      if (selection.kind && d.kind !== selection.kind) continue;
      if (selection.state && deviceState(d) !== selection.state) continue;
      if (q && !d.id.includes(q) && !d.name?.toLowerCase().includes(q)) continue;
      out.push(d);
    }
    return out.sort((a, b) =>
      STATE_RANK[deviceState(a)] - STATE_RANK[deviceState(b)] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  });

  return { items, total: devices.total, loaded: devices.loaded, error: devices.error };
}
