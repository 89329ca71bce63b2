// The open device detail lives in the URL hash (#/devices/<id>): linkable, no server routes.
import { readonly, shallowRef } from 'vue';

const PREFIX = '#/devices/';
const current = shallowRef<string | null>(parse());
let listening = false;

function parse(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith(PREFIX)) return null;
  const id = decodeURIComponent(hash.slice(PREFIX.length));
  return id || null;
}

export function useDeviceRoute() {
  if (!listening) {
    listening = true;
    window.addEventListener('hashchange', () => { current.value = parse(); });
  }
  return {
    deviceId: readonly(current),
    open(id: string) { window.location.hash = `${PREFIX}${encodeURIComponent(id)}`; },
    close() {
      history.pushState(null, '', window.location.pathname + window.location.search);
      current.value = null;
    },
  };
}
