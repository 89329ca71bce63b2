// A short beep for NEW red alerts (WebAudio), with a mute switch that is remembered.
import type { Alert } from '@citygrid/contract';
import { onScopeDispose, shallowRef, watch } from 'vue';
import { beep } from '../lib/beep';
import { useAlertFeed } from './useAlertFeed';

const KEY = 'citygrid.sound.muted';
const muted = shallowRef(readMuted());

function readMuted(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}
watch(muted, (m) => {
  try {
    localStorage.setItem(KEY, m ? '1' : '0');
  } catch { /* not remembered; still muted */ }
});

/** Beeps while the calling component lives, for red arrivals that pass `relevant`. */
export function useAlertSound(relevant: (a: Alert) => boolean = () => true) {
  const feed = useAlertFeed();
  const off = feed.onArrival((arrivals) => {
    if (!muted.value && arrivals.some((a) => a.severity === 'red' && relevant(a))) beep();
  });
  onScopeDispose(off);
  return {
    muted,
    toggle() { muted.value = !muted.value; },
  };
}
