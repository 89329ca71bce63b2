// The phone view as an installable app: its web app manifest (in the user's language), its service
// worker (public/sw.js, registered from the phone view only), and when the queue it shows offline was
// last fetched. The worker keeps the last answers of the phone view's own GETs; this reads their time.
import { onMounted, onScopeDispose, shallowRef, watch, type Ref } from 'vue';

/** The service worker's cache of the phone view's answers (public/sw.js: QUEUE). */
export const QUEUE_CACHE = 'citygrid-phone-queue-v1';
const SAVED_AT = 'x-citygrid-saved-at';
const MANIFEST_ID = 'phone-manifest';

function setManifest(locale: string): void {
  let link = document.getElementById(MANIFEST_ID) as HTMLLinkElement | null;
  if (!link) {
    link = document.createElement('link');
    link.id = MANIFEST_ID;
    link.rel = 'manifest';
    document.head.append(link);
  }
  link.href = `/manifest.${locale === 'zh-CN' ? 'zh-CN' : 'en'}.webmanifest`;
}

/** When the queue the worker keeps (GET /api/alerts) was fetched: epoch ms, or null if it keeps none. */
export async function queueSavedAt(): Promise<number | null> {
  if (typeof caches === 'undefined' || !(await caches.has(QUEUE_CACHE))) return null;
  const cache = await caches.open(QUEUE_CACHE);
  for (const req of await cache.keys()) {
    if (new URL(req.url).pathname !== '/api/alerts') continue;
    const saved = Number((await cache.match(req))?.headers.get(SAVED_AT));
    if (Number.isFinite(saved) && saved > 0) return saved;
  }
  return null;
}

/** Forgets the kept queue (it holds the worker's alerts): on sign-out and when the session ends. */
export async function forgetQueue(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(QUEUE_CACHE);
}

/**
 * Registers the worker and the manifest while the phone view is shown. `prime` runs when the worker
 * first takes control of this page, so the queue's GETs go through it (and are kept) without a reload.
 */
export function usePhoneApp(o: { locale: Ref<string>; offline: Ref<boolean>; prime: () => void }) {
  const savedAt = shallowRef<number | null>(null);
  /** Some of what the page shows is the worker's kept copy: read it all again when back online. */
  const stale = shallowRef(false);
  const readSavedAt = () => void queueSavedAt().then((t) => { savedAt.value = t; }, () => undefined);
  const onMessage = (e: MessageEvent) => {
    if ((e.data as { type?: unknown } | null)?.type === 'citygrid-kept') stale.value = true;
  };
  // now, not on mount: the queue's GET is already on its way
  if (typeof navigator !== 'undefined' && 'serviceWorker' in navigator) navigator.serviceWorker.addEventListener('message', onMessage);

  onMounted(() => {
    setManifest(o.locale.value);
    readSavedAt();
    if (!('serviceWorker' in navigator)) return;
    const controlled = navigator.serviceWorker.controller !== null;
    if (!controlled) navigator.serviceWorker.addEventListener('controllerchange', o.prime, { once: true });
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
      console.warn('the phone view works on, but will not open offline: its service worker did not register', err);
    });
  });
  watch(o.locale, (l) => setManifest(l));
  watch(o.offline, readSavedAt);
  onScopeDispose(() => {
    document.getElementById(MANIFEST_ID)?.remove();
    if ('serviceWorker' in navigator) navigator.serviceWorker.removeEventListener('message', onMessage);
  });

  return {
    savedAt,
    /** Call when the live connection is up: reads the queue again if the page showed a kept copy. */
    refreshIfStale(): void {
      if (!stale.value) return;
      stale.value = false;
      o.prime();
    },
  };
}
