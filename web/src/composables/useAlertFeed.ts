// The live alerts (elk's usePaginator shape): `state`, `items`, a `buffer` of live arrivals applied
// in batches once per animation frame, and `error`. GET /api/alerts?state=active, then `alert` events.
import type { Alert, AlertSocketEvent } from '@citygrid/contract';
import { computed, effectScope, onScopeDispose, shallowRef, watch, type Ref } from 'vue';
import { api } from '../api/endpoints';
import { toApiError, type ApiRequestError } from '../api/http';
import { createAlertBuffer } from '../lib/alert-buffer';
import { compareAlerts, isOverdue, worstByCell } from '../lib/alerts';
import { createFrameBatcher } from './useBatch';
import { useNow } from './useNow';
import { useSocket } from './useSocket';

export type FeedState = 'loading' | 'ready' | 'error';
type ArrivalHandler = (alerts: Alert[]) => void;

const PRUNE_MS = 5000; // 5 seconds

function createAlertFeed() {
  const buffer = createAlertBuffer();
  const items = shallowRef<Alert[]>([]);
  const state = shallowRef<FeedState>('loading');
  const error = shallowRef<ApiRequestError | null>(null);
  /** How many live events wait for the next frame. */
  const buffered = shallowRef(0);
  const arrivalHandlers = new Set<ArrivalHandler>();
  let loading = false;

  function publish() {
    items.value = [...buffer.values()].sort(compareAlerts);
  }

  const schedule = createFrameBatcher(() => {
    if (loading) return; // applied after the snapshot arrives
    const { changed, arrivals } = buffer.flush(Date.now());
    buffered.value = 0;
    if (changed) publish();
    if (arrivals.length) for (const fn of arrivalHandlers) fn(arrivals);
  }, 100);

  function push(ev: AlertSocketEvent) {
    buffer.push(ev);
    buffered.value = buffer.buffered;
    schedule();
  }

  async function reload(): Promise<void> {
    loading = true;
    try {
      const res = await api.alerts({ state: 'active', limit: 2000 });
      buffer.reset(res.alerts);
      error.value = null;
      state.value = 'ready';
    } catch (err) {
      error.value = toApiError(err);
      if (state.value === 'loading') state.value = 'error';
    } finally {
      loading = false;
      publish();
      schedule();
    }
  }

  /** An alert the API returned (after an action): applied like a live event. */
  function upsert(alert: Alert) {
    push({ event: 'updated', actor: 'system', note: null, alert });
  }

  async function refreshOne(id: string) {
    try {
      upsert((await api.alert(id)).alert);
    } catch { /* the next reconnect or event brings it */ }
  }

  const { socket, connects } = useSocket();
  socket.on('alert', push);
  watch(connects, (n) => { if (n > 1 || state.value !== 'ready') void reload(); });
  void reload();
  const pruner = setInterval(() => { if (buffer.prune(Date.now())) publish(); }, PRUNE_MS);
  onScopeDispose(() => clearInterval(pruner));

  const now = useNow();
  const cellColour = computed(() => worstByCell(items.value));
  const overdue = computed(() => items.value.filter((a) => isOverdue(a, now.value)).length);
  const byId = computed(() => new Map(items.value.map((a) => [a.id, a])));

  return {
    state: state as Readonly<Ref<FeedState>>,
    items: items as Readonly<Ref<Alert[]>>,
    buffer: buffered as Readonly<Ref<number>>,
    error: error as Readonly<Ref<ApiRequestError | null>>,
    byId,
    cellColour,
    overdue,
    reload,
    upsert,
    refreshOne,
    /** New alerts (newly firing, not suppressed), once each, after they are applied. */
    onArrival(fn: ArrivalHandler): () => void {
      arrivalHandlers.add(fn);
      return () => arrivalHandlers.delete(fn);
    },
  };
}

let store: ReturnType<typeof createAlertFeed> | null = null;

export function useAlertFeed() {
  // Detached scope: the store's watchers and computeds outlive the component that first asked.
  store ??= effectScope(true).run(createAlertFeed)!;
  return store;
}
