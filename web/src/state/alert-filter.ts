// The alert feed's own filters (district and cell are shared with the map and device list: selection.ts).
import type { DeviceKind, Severity } from '@citygrid/contract';
import { reactive } from 'vue';

export const alertFilter = reactive<{ severity: Severity | null; kind: DeviceKind | null }>({
  severity: null,
  kind: null,
});
