// Whether the browser thinks it has a network, and whether the live connection is up.
import { computed, readonly, shallowRef } from 'vue';
import { nudgeSocket, useSocket } from './useSocket';

const browserOnline = shallowRef(typeof navigator === 'undefined' ? true : navigator.onLine);
const backOnline = new Set<() => void>();
let listening = false;

function listen() {
  if (listening) return;
  listening = true;
  window.addEventListener('offline', () => { browserOnline.value = false; });
  window.addEventListener('online', () => {
    browserOnline.value = true;
    nudgeSocket();
    for (const fn of backOnline) fn();
  });
}

export function useOnline() {
  listen();
  const { state } = useSocket();
  return {
    browserOnline: readonly(browserOnline),
    /** Offline for the user: no network, or the live connection is down. */
    offline: computed(() => !browserOnline.value || state.value === 'reconnecting'),
    onBackOnline(fn: () => void) { backOnline.add(fn); },
  };
}
