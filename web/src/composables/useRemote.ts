// One GET with loading and error state, reloaded when its inputs change (pages like audit, scores).
import { onScopeDispose, shallowRef, watch, type WatchSource } from 'vue';
import { isAbort, toApiError, type ApiRequestError } from '../api/http';

export function useRemote<T>(fetcher: (signal: AbortSignal) => Promise<T>, sources: WatchSource[] = []) {
  const data = shallowRef<T | null>(null);
  const error = shallowRef<ApiRequestError | null>(null);
  const loading = shallowRef(false);
  let controller: AbortController | null = null;

  async function reload() {
    controller?.abort();
    const ctl = (controller = new AbortController());
    loading.value = true;
    try {
      data.value = await fetcher(ctl.signal);
      error.value = null;
    } catch (err) {
      if (isAbort(err)) return;
      error.value = toApiError(err);
    } finally {
      if (controller === ctl) {
        loading.value = false;
        controller = null;
      }
    }
  }

  watch(sources, reload, { immediate: true });
  onScopeDispose(() => controller?.abort());
  return { data, error, loading, reload };
}
