// Entering and leaving the video wall. From the header's button the wall asks for full screen (a browser
// grants it only on a gesture, so a wall opened by URL is full-window instead); Esc, the small exit
// control, or leaving full screen return to the control room. The URL's rotate= and lang= are read on
// entry and whenever the hash changes.
import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import { parseWallParams, type WallParams } from '../lib/wall';

export const WALL_HASH = '#/wall';
/** Set when the wall was entered with full screen: leaving full screen then leaves the wall. */
let fullscreenByUs = false;

/** The header's button: full screen (when the browser grants it), then the wall. */
export async function enterWall(): Promise<void> {
  try {
    await document.documentElement.requestFullscreen?.();
    fullscreenByUs = Boolean(document.fullscreenElement);
  } catch {
    fullscreenByUs = false; // refused (an iframe, a kiosk policy): the wall is full-window anyway
  }
  window.location.hash = WALL_HASH;
}

export function leaveWall(): void {
  fullscreenByUs = false;
  if (document.fullscreenElement) void document.exitFullscreen?.().catch(() => undefined);
  window.location.hash = '#/';
}

/** For the wall itself: its URL's parameters, and Esc / end of full screen leading out. */
export function useWallMode() {
  const params = shallowRef<WallParams>(parseWallParams(window.location.hash));
  const onHash = () => { params.value = parseWallParams(window.location.hash); };
  const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') leaveWall(); };
  // In full screen the browser takes Esc for itself and only ends full screen: that is the signal then.
  const onFullscreen = () => { if (!document.fullscreenElement && fullscreenByUs) leaveWall(); };
  onMounted(() => {
    window.addEventListener('hashchange', onHash);
    window.addEventListener('keydown', onKey);
    document.addEventListener('fullscreenchange', onFullscreen);
  });
  onBeforeUnmount(() => {
    // left some other way (another page's URL): full screen was the wall's, so it ends with it
    if (fullscreenByUs && document.fullscreenElement) void document.exitFullscreen?.().catch(() => undefined);
    fullscreenByUs = false;
    window.removeEventListener('hashchange', onHash);
    window.removeEventListener('keydown', onKey);
    document.removeEventListener('fullscreenchange', onFullscreen);
  });
  return { params, leave: leaveWall };
}
