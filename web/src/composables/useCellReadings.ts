// A cell's last 24 hours per metric (GET /api/cells/:id/readings, 5-minute buckets over its devices):
// fetched when the cell changes, on every reconnect and once per bucket. Its answer is also what tells
// the cell's page whether this user may see the cell (403: a grid worker's other cell; 404: no cell).
import { onScopeDispose, watch, type Ref } from 'vue';
import { api } from '../api/endpoints';
import { useRemote } from './useRemote';
import { useSocket } from './useSocket';

const DAY = 86_400_000; // ms
export const CELL_STEP = '5m';
const REFRESH_MS = 5 * 60_000; // one bucket

export function useCellReadings(cellId: Ref<string | null>) {
  const remote = useRemote(async (signal) => {
    if (!cellId.value) return null;
    const to = Date.now();
    return api.cellReadings(cellId.value, { from: to - DAY, to, step: CELL_STEP }, signal);
  }, [cellId]);
  const { connects } = useSocket();
  watch(connects, (n, before) => { if (n > before && before > 0) void remote.reload(); });
  const timer = setInterval(() => void remote.reload(), REFRESH_MS);
  onScopeDispose(() => clearInterval(timer));
  return remote;
}
