// Grid cells and district outlines (GET /api/grid, /api/districts), with each cell's
// live status rolled up on the client from the device registry.
import type { DistrictView as District, GridCellView as GridCell } from '@citygrid/contract';
import { computed, effectScope, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { ApiRequestError } from '../api/http';
import { rollUpCells, type CellLive } from '../lib/conditions';
import { useDevices } from './useDevices';
import { useSocket } from './useSocket';

function createGrid() {
  const cells = shallowRef<GridCell[]>([]);
  const districts = shallowRef<District[]>([]);
  const loaded = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  const devices = useDevices();

  let loading = false;
  async function reload(): Promise<void> {
    loading = true;
    try {
      const [grid, dist] = await Promise.all([
        api.grid(),
        // District outlines are decoration: the map still works without them.
        api.districts().catch(() => null),
      ]);
      cells.value = grid.features;
      if (dist) districts.value = dist.features;
      error.value = null;
      loaded.value = true;
    } catch (err) {
      error.value = err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
    } finally {
      loading = false;
    }
  }

  const cellById = computed(() => new Map(cells.value.map((c) => [c.properties.id, c])));
  const districtById = computed(() => new Map(districts.value.map((d) => [d.properties.id, d])));

  /** Live status per cell: from the device registry once loaded, else the server's snapshot. */
  const status = computed<Map<string, CellLive>>(() => {
    void devices.statusVersion.value;
    if (devices.loaded.value) return rollUpCells(cellById.value.keys(), devices.all());
    return new Map(cells.value.map((c) => [c.properties.id, { ...c.properties.status, alarm: 0, warn: 0 }]));
  });

  const { connects } = useSocket();
  // The shapes do not change with live events (the statuses come from the devices once they are
  // loaded): the first connect needs no second copy while the first is on its way (11,000 cells are
  // megabytes); a reconnect may follow a configuration reload, so it takes one.
  watch(connects, (n) => { if (n > 1 || (!loaded.value && !loading)) void reload(); });
  void reload();

  return { cells, districts, cellById, districtById, status, loaded, error, reload };
}

let grid: ReturnType<typeof createGrid> | null = null;

export function useGrid() {
  // Detached scope: the store's watchers and computeds outlive the component that first asked.
  grid ??= effectScope(true).run(createGrid)!;
  return grid;
}
