// The live device registry: loads GET /api/devices, applies `reading` / `device-status`
// events in batches, and exposes version counters that views depend on.
import type { DeviceStatusEvent, DeviceView, ReadingEvent } from '@citygrid/contract';
import { effectScope, markRaw, type Ref, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { ApiRequestError, isAbort } from '../api/http';
import { createFrameBatcher } from './useBatch';
import { useSocket } from './useSocket';

/** How long the first device snapshot waits for the live connection before it is fetched anyway. */
const FIRST_SNAPSHOT_WAIT_MS = 1500;

function createStore() {
  const { socket, connects } = useSocket();
  /** Plain objects mutated in place; reactivity goes through the counters below. */
  let byId = new Map<string, DeviceView>();
  /** Bumped on every applied batch (values, ages). */
  const version = shallowRef(0);
  /** Bumped only when some device's condition or online state changed (map colours). */
  const statusVersion = shallowRef(0);
  const loaded = shallowRef(false);
  const loading = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  const online = shallowRef(0);
  const total = shallowRef(0);

  const pendingReadings = new Map<string, ReadingEvent>();
  const pendingStatus = new Map<string, DeviceStatusEvent>();
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | null = null;

  function applyReading(ev: ReadingEvent): boolean {
    const d = byId.get(ev.device);
    if (!d) return scheduleReload();
    let changed = false;
    for (const [metric, value] of Object.entries(ev.metrics)) {
      const prev = d.latest[metric];
      if (prev && prev.ts > ev.ts) continue;
      d.latest[metric] = { value, ts: ev.ts };
      changed = true;
    }
    if (d.lastSeen === null || ev.ts > d.lastSeen) d.lastSeen = ev.ts;
    if (changed && d.condition !== ev.condition) {
      d.condition = ev.condition;
      return true;
    }
    return false;
  }

  function applyStatus(ev: DeviceStatusEvent): boolean {
    const d = byId.get(ev.device);
    if (!d) return scheduleReload();
    if (d.online === ev.online) return false;
    d.online = ev.online;
    return true;
  }

  function recount() {
    let n = 0;
    for (const d of byId.values()) if (d.online) n++;
    online.value = n;
    total.value = byId.size;
  }

  const schedule = createFrameBatcher(() => {
    if (loading.value) return; // re-scheduled after the snapshot arrives
    let statusChanged = false;
    for (const ev of pendingStatus.values()) statusChanged = applyStatus(ev) || statusChanged;
    for (const ev of pendingReadings.values()) statusChanged = applyReading(ev) || statusChanged;
    pendingStatus.clear();
    pendingReadings.clear();
    if (statusChanged) {
      statusVersion.value++;
      recount();
    }
    version.value++;
  });

  function onReading(ev: ReadingEvent) {
    const prev = pendingReadings.get(ev.device);
    if (prev && prev.ts <= ev.ts) ev = { ...ev, metrics: { ...prev.metrics, ...ev.metrics } };
    else if (prev) ev = { ...prev, metrics: { ...ev.metrics, ...prev.metrics } };
    pendingReadings.set(ev.device, ev);
    schedule();
  }

  function onStatus(ev: DeviceStatusEvent) {
    const prev = pendingStatus.get(ev.device);
    if (!prev || prev.ts <= ev.ts) pendingStatus.set(ev.device, ev);
    schedule();
  }

  /** A device we do not know yet (configuration hot-reloaded): fetch the list again soon. */
  function scheduleReload(): false {
    reloadTimer ??= setTimeout(() => {
      reloadTimer = undefined;
      void reload();
    }, 3000);
    return false;
  }

  /** The connect count when the snapshot in flight (or the last one) was asked for; -1: none yet. */
  let askedAt = -1;
  async function reload(): Promise<void> {
    askedAt = connects.value;
    controller?.abort();
    const ctl = (controller = new AbortController());
    loading.value = true;
    try {
      const res = await api.devices(ctl.signal);
      byId = new Map(res.devices.map((d) => [d.id, markRaw({ ...d, latest: { ...d.latest } })]));
      error.value = null;
      loaded.value = true;
    } catch (err) {
      if (isAbort(err)) return;
      error.value = err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
    } finally {
      if (controller === ctl) {
        loading.value = false;
        controller = null;
      }
    }
    recount();
    statusVersion.value++;
    version.value++;
    schedule();
  }

  socket.on('reading', onReading);
  socket.on('device-status', onStatus);
  // Every (re)connect may have missed events: take a fresh snapshot, unless the one on its way was
  // asked for on this connection already.
  watch(connects, (n) => { if (n > 1 || (!loaded.value && askedAt < n)) void reload(); });
  // The first snapshot waits for the live connection (so that no event falls between the two), but
  // not for long: with 100,000 devices it is tens of megabytes, too big to fetch twice.
  if (connects.value > 0) void reload();
  else setTimeout(() => { if (askedAt < 0) void reload(); }, FIRST_SNAPSHOT_WAIT_MS);

  return {
    get: (id: string) => byId.get(id),
    all: () => byId.values(),
    version: version as Readonly<Ref<number>>,
    statusVersion: statusVersion as Readonly<Ref<number>>,
    loaded: loaded as Readonly<Ref<boolean>>,
    loading: loading as Readonly<Ref<boolean>>,
    error: error as Readonly<Ref<ApiRequestError | null>>,
    online: online as Readonly<Ref<number>>,
    total: total as Readonly<Ref<number>>,
    reload,
  };
}

let store: ReturnType<typeof createStore> | null = null;

export function useDevices() {
  // Detached scope: the store's watchers and computeds outlive the component that first asked.
  store ??= effectScope(true).run(createStore)!;
  return store;
}
