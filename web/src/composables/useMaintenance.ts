// Maintenance windows (GET /api/maintenance), fetched once and shared by the maintenance page, the
// map and the device list. Kept current without a socket event of their own: refetched on every
// (re)connect, whenever an alert is suppressed or unsuppressed (a window started or ended, on any
// replica), after this page's own changes, and every 30 s (a window made ahead of time starts, one
// ends). What is in force is worked out against the one-second clock, so the map changes the second
// a window starts or ends.
import type { MaintenanceWindow } from '@citygrid/contract';
import { inForce, started } from '../lib/maintenance';
import { computed, effectScope, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { toApiError, type ApiRequestError } from '../api/http';
import { useAuth } from './useAuth';
import { useNow } from './useNow';
import { useSocket } from './useSocket';

const POLL_MS = 30_000; // 30 seconds

export { deviceWindow, inForce, kindOf, started, targetOf, type MaintenanceKind } from '../lib/maintenance';

function createStore() {
  const windows = shallowRef<MaintenanceWindow[]>([]);
  const loaded = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  const now = useNow();
  const auth = useAuth();
  let inFlight: Promise<void> | null = null;

  async function fetchNow(): Promise<void> {
    try {
      const list = (await api.maintenance()).windows;
      windows.value = [...list].sort((a, b) => a.from - b.from || a.until - b.until);
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = toApiError(err);
    }
  }
  function reload(): Promise<void> {
    inFlight ??= fetchNow().finally(() => { inFlight = null; });
    return inFlight;
  }

  const socket = useSocket();
  watch(socket.connects, () => void reload(), { immediate: true });
  socket.socket.on('alert', (e) => { if (e.event === 'suppressed' || e.event === 'unsuppressed') void reload(); });
  const timer = setInterval(() => { if (auth.user.value) void reload(); }, POLL_MS);
  auth.onSignOut(() => { windows.value = []; loaded.value = false; });
  auth.onSignIn(() => void reload());

  // Recomputed when the list changes, or when the clock passes a window's start or end.
  const edge = computed(() => {
    const t = now.value;
    return windows.value.filter((w) => started(w, t) && t < w.until).map((w) => w.id).join(',');
  });
  const active = computed(() => { void edge.value; return inForce(windows.value, Date.now()); });
  return { windows, loaded, error, active, reload, stop: () => clearInterval(timer) };
}

let store: ReturnType<typeof createStore> | null = null;

export function useMaintenance() {
  // Detached scope: the store outlives the component that first asked.
  store ??= effectScope(true).run(createStore)!;
  return store;
}
