// A cell's page lives in the URL hash (#/cells/<id>): linkable from the map's cell panel, an alert's
// cell and anywhere a cell is named; no server routes.
import { readonly, shallowRef } from 'vue';
import { parseCellId } from '../lib/cell-page';

export { cellHref } from '../lib/cell-page';

const current = shallowRef<string | null>(parseCellId(window.location.hash));
let listening = false;

export function useCellRoute() {
  if (!listening) {
    listening = true;
    current.value = parseCellId(window.location.hash); // the page may have been opened after the module loaded
    window.addEventListener('hashchange', () => { current.value = parseCellId(window.location.hash); });
  }
  return { cellId: readonly(current) };
}
