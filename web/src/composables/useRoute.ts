// Hash routes: #/ (control room, with #/devices/<id> for a device), #/my (grid worker's phone),
// #/scores, #/audit, #/people and #/provisioning (devices; administrators), #/maintenance, #/cells/<id> (a cell's page, useCellRoute), #/wall (the video wall,
// #/wall?rotate=<seconds>), #/alerts/<id> (an alert's page and timeline, useAlertRoute), #/history
// (past alerts), #/public (the city's conditions for everyone: no sign-in), #/report (a resident's
// report; #/report/<receipt> follows one: no sign-in). Linkable, no server routes.
import { readonly, shallowRef } from 'vue';

export type RouteName = 'live' | 'my' | 'scores' | 'audit' | 'people' | 'maintenance' | 'cell' | 'wall' | 'alert' | 'history' | 'public' | 'report' | 'device' | 'provisioning';
const PATHS: Record<RouteName, string> = {
  live: '#/', my: '#/my', scores: '#/scores', audit: '#/audit', people: '#/people', maintenance: '#/maintenance', cell: '#/cells/', wall: '#/wall', alert: '#/alerts/', history: '#/history', public: '#/public', report: '#/report', device: '#/device/', provisioning: '#/provisioning',
};

export function parseRoute(hash: string): RouteName {
  const path = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  if (path === 'cells') return 'cell';
  if (path === 'alerts') return 'alert';
  if (path === 'device') return 'device'; // a device's page for engineers (#/device/<id>, useDevicePage)
  return path === 'my' || path === 'scores' || path === 'audit' || path === 'people' || path === 'maintenance' || path === 'wall' || path === 'history' || path === 'public' || path === 'report' || path === 'provisioning' ? path : 'live';
}

const current = shallowRef<RouteName>(parseRoute(window.location.hash));
let listening = false;

export function routeHref(name: RouteName): string {
  return PATHS[name];
}

export function useRoute() {
  if (!listening) {
    listening = true;
    window.addEventListener('hashchange', () => { current.value = parseRoute(window.location.hash); });
  }
  return {
    route: readonly(current),
    go(name: RouteName) {
      if (parseRoute(window.location.hash) !== name || window.location.hash === '') window.location.hash = PATHS[name];
      current.value = name;
    },
  };
}
