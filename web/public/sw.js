// The phone view's service worker (registered from #/my only; scope /). It keeps two things so that the
// grid worker's phone, reopened with no network, shows the last known queue:
// - the app shell: index.html (network first) and the built assets it loads (cache first: their names
//   carry a content hash), plus the manifest and icons;
// - the last successful answer of each GET the phone view makes for its queue, and only when the phone
//   view made it (the page marks those requests with `X-CityGrid-View: phone`): who is signed in, the
//   active alerts, the cells' names and the devices' kinds. Network first; the cached answer only when
//   the network fails, marked with X-CityGrid-Saved-At (epoch ms), and the page is told (a
//   `citygrid-kept` message) so it reads them again when it is back online. Every other API answer
//   goes past this worker untouched and is never stored.
// The queue holds the worker's alerts: it is deleted on sign-out (POST /api/auth/logout) and whenever the
// server says the session is over (401).
const VERSION = 'v1';
const SHELL = `citygrid-shell-${VERSION}`;
const QUEUE = `citygrid-phone-queue-${VERSION}`;
const SAVED_AT = 'X-CityGrid-Saved-At';
/** The phone view's GETs that make its queue readable, by path (the query is part of the cache key). */
const QUEUE_PATHS = new Set(['/api/auth/me', '/api/alerts', '/api/grid', '/api/devices']);
/** Shell files whose names do not change with their content: fetched anew when there is a network. */
const SHELL_FILES = /^\/(icons\/[\w-]+\.png|manifest\.[\w-]+\.webmanifest)$/;

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('citygrid-') && name !== SHELL && name !== QUEUE) await caches.delete(name);
    await self.clients.claim();
  })());
});

/** index.html and every asset it names, so the shell opens offline from the first visit on. */
async function cacheShell() {
  const cache = await caches.open(SHELL);
  const res = await fetch('/', { cache: 'no-cache' });
  if (!res.ok) return;
  const html = await res.clone().text();
  await cache.put('/', res);
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await Promise.all(assets.map((a) => cache.add(a).catch(() => undefined)));
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === '/api/auth/logout') {
    event.respondWith(forgetQueue().then(() => fetch(req)));
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname.startsWith('/api/')) {
    if (QUEUE_PATHS.has(url.pathname) && req.headers.get('x-citygrid-view') === 'phone') event.respondWith(queueAnswer(req, event.clientId));
    return;
  }
  if (req.mode === 'navigate') event.respondWith(shellPage(req));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(shellAsset(req));
  else if (SHELL_FILES.test(url.pathname)) event.respondWith(networkFirst(req));
});

async function forgetQueue() {
  await caches.delete(QUEUE);
}

async function queueAnswer(req, clientId) {
  let res;
  try {
    res = await fetch(req);
  } catch {
    const cached = await (await caches.open(QUEUE)).match(req, { ignoreVary: true });
    if (!cached) return Response.error();
    // the page shows a kept copy: it reads everything again once its live connection is back
    const client = clientId ? await self.clients.get(clientId) : null;
    client?.postMessage({ type: 'citygrid-kept', path: new URL(req.url).pathname, savedAt: Number(cached.headers.get(SAVED_AT)) });
    return cached;
  }
  if (res.status === 401) await forgetQueue();
  else if (res.ok) await saveAnswer(req, res.clone());
  return res;
}

/** Stores the answer with the time it was received (the page shows it: "last known queue at 14:03"). */
async function saveAnswer(req, res) {
  const headers = new Headers(res.headers);
  headers.set(SAVED_AT, String(Date.now()));
  const body = await res.blob();
  await (await caches.open(QUEUE)).put(req, new Response(body, { status: res.status, statusText: res.statusText, headers }));
}

async function shellPage(req) {
  try {
    const res = await fetch(req);
    if (res.ok && new URL(req.url).pathname === '/') await (await caches.open(SHELL)).put('/', res.clone());
    return res;
  } catch {
    return (await (await caches.open(SHELL)).match('/')) ?? Response.error();
  }
}

/** Built assets carry a content hash in their names: a cached one is always right. */
async function shellAsset(req) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(req);
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

async function networkFirst(req) {
  const cache = await caches.open(SHELL);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch {
    return (await cache.match(req)) ?? Response.error();
  }
}
