// An alert's page lives in the URL hash (#/alerts/<id>): linkable from the feed, the phone view, the
// history and anywhere an alert is named; no server routes.
import { readonly, shallowRef } from 'vue';

/** The alert id of a hash like "#/alerts/al-abc"; null for any other hash. */
export function parseAlertId(hash: string): string | null {
  const m = /^#\/alerts\/([^/?#]{1,128})/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

export const alertHref = (id: string): string => `#/alerts/${encodeURIComponent(id)}`;

const current = shallowRef<string | null>(parseAlertId(window.location.hash));
let listening = false;

export function useAlertRoute() {
  if (!listening) {
    listening = true;
    window.addEventListener('hashchange', () => { current.value = parseAlertId(window.location.hash); });
  }
  return { alertId: readonly(current) };
}
