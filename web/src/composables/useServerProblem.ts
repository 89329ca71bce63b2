// Whether the dashboard can talk to the server; retries every 5 s while it cannot.
import { computed, onBeforeUnmount, watch } from 'vue';
import { useCity } from './useCity';
import { useDevices } from './useDevices';
import { useGrid } from './useGrid';
import { useRejections } from './useRejections';

const RETRY_MS = 5000; // 5 seconds

export function useServerProblem() {
  const devices = useDevices();
  const grid = useGrid();
  const city = useCity();
  const rejections = useRejections();

  const error = computed(() => grid.error.value ?? devices.error.value);
  const unreachable = computed(() => Boolean(error.value?.unreachable));

  async function retry() {
    await Promise.all([grid.reload(), devices.reload(), city.reload(), rejections.reload()]);
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  watch(error, (e) => {
    clearInterval(timer);
    timer = e ? setInterval(() => void retry(), RETRY_MS) : undefined;
  }, { immediate: true });
  onBeforeUnmount(() => clearInterval(timer));

  return { error, unreachable, retry };
}
