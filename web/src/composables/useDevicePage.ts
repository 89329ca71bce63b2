// A device's page for engineers (#/device/<id>): its id from the hash, its activity from
// GET /api/devices/:id/activity (connection state and history, last 50 messages), refreshed every
// few seconds while open, and the test reading (POST /api/devices/:id/test-reading).
import type { DeviceActivityResponse, TestReadingResponse } from '@citygrid/contract';
import { onBeforeUnmount, readonly, shallowRef, watch, type Ref } from 'vue';
import { getJson, isAbort, postJson, toApiError, type ApiRequestError } from '../api/http';

const REFRESH_MS = 5_000;

/** The device id of a hash like "#/device/wl-0011"; null for any other hash. */
export function parseDevicePageId(hash: string): string | null {
  const m = /^#\/device\/([^/?#]{1,128})/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

export const devicePageHref = (id: string): string => `#/device/${encodeURIComponent(id)}`;

const current = shallowRef<string | null>(parseDevicePageId(window.location.hash));
let listening = false;

export function useDevicePageRoute() {
  if (!listening) {
    listening = true;
    current.value = parseDevicePageId(window.location.hash);
    window.addEventListener('hashchange', () => { current.value = parseDevicePageId(window.location.hash); });
  }
  return { deviceId: readonly(current) };
}

export function useDeviceActivity(deviceId: Readonly<Ref<string | null>>) {
  const data = shallowRef<DeviceActivityResponse | null>(null);
  const error = shallowRef<ApiRequestError | null>(null);
  const loading = shallowRef(false);
  const testing = shallowRef(false);
  const test = shallowRef<{ result: TestReadingResponse } | { error: string } | null>(null);
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    const id = deviceId.value;
    if (timer) clearTimeout(timer);
    timer = null;
    controller?.abort();
    if (!id) return;
    const c = new AbortController();
    controller = c;
    loading.value = true;
    try {
      const body = await getJson<DeviceActivityResponse>(`/api/devices/${encodeURIComponent(id)}/activity`, c.signal);
      if (deviceId.value === id) {
        data.value = body;
        error.value = null;
      }
    } catch (err) {
      if (isAbort(err)) return;
      error.value = toApiError(err);
    } finally {
      if (controller === c) {
        loading.value = false;
        timer = setTimeout(() => void load(), REFRESH_MS);
      }
    }
  }

  async function sendTest(): Promise<void> {
    const id = deviceId.value;
    if (!id || testing.value) return;
    testing.value = true;
    test.value = null;
    try {
      test.value = { result: await postJson<TestReadingResponse>(`/api/devices/${encodeURIComponent(id)}/test-reading`, {}) };
      await load();
    } catch (err) {
      test.value = { error: toApiError(err).message };
    } finally {
      testing.value = false;
    }
  }

  watch(deviceId, () => {
    data.value = null;
    error.value = null;
    test.value = null;
    void load();
  }, { immediate: true });
  onBeforeUnmount(() => {
    controller?.abort();
    if (timer) clearTimeout(timer);
  });
  return { data, error, loading, testing, test, load, sendTest };
}
