// Camera detections of one cell (type, confidence, count: never images): GET /api/camera-events,
// then live `camera-event` events. The server may not offer them yet: then `available` is false.
import type { CameraSocketEvent as CameraEventView } from '@citygrid/contract';
import { onScopeDispose, shallowRef, watch, type Ref } from 'vue';
import { api } from '../api/endpoints';
import { isAbort, toApiError } from '../api/http';
import { useSocket } from './useSocket';

const KEEP = 50;

export function useCameraEvents(grid: Ref<string | null>) {
  const events = shallowRef<CameraEventView[]>([]);
  const available = shallowRef(true);
  const loading = shallowRef(false);
  let controller: AbortController | null = null;

  async function load() {
    controller?.abort();
    events.value = [];
    if (!grid.value) return;
    const ctl = (controller = new AbortController());
    loading.value = true;
    try {
      const res = await api.cameraEvents(grid.value, KEEP, ctl.signal);
      events.value = [...res.events].sort((a, b) => b.ts - a.ts).slice(0, KEEP);
      available.value = true;
    } catch (err) {
      if (isAbort(err)) return;
      if (toApiError(err).status === 404) available.value = false;
    } finally {
      if (controller === ctl) loading.value = false;
    }
  }

  function onEvent(ev: CameraEventView) {
    if (ev.grid !== grid.value) return;
    available.value = true;
    events.value = [ev, ...events.value].slice(0, KEEP);
  }

  const { socket, connects } = useSocket();
  socket.on('camera-event', onEvent);
  watch([grid, connects], load, { immediate: true });
  onScopeDispose(() => {
    socket.off('camera-event', onEvent);
    controller?.abort();
  });

  return { events, available, loading, reload: load };
}
