// `npm run bench:map -- --cells 11000 --devices 100000 --first-paint`: how long after signing in the
// control room is usable. A fresh context signs in through the form (the click on "Sign in" is time 0);
// then the map has drawn when its cell canvas has painted every cell, and the device list is usable
// when its first rows show and a search for one device id (typed once the rows show) lists that device.
import type { Browser } from 'playwright-core';

export interface FirstPaint {
  /** Sign-in click → the map's cell canvas painted all cells. */
  map_ms: number;
  /** Sign-in click → the first device rows. */
  list_ms: number;
  /** The later of the two: the control room's first paint. */
  first_paint_ms: number;
  /** Typing a device id → that device's row alone (search over every device). */
  search_ms: number;
  /** What the page fetched from /api until the map was drawn: bytes over the wire, by path. */
  api_bytes: Record<string, number>;
}

export async function measureFirstPaint(browser: Browser, baseUrl: string, cells: number, searchFor: string): Promise<FirstPaint> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  try {
    const page = await context.newPage();
    const bytes: Record<string, number> = {};
    page.on('response', (res) => {
      const path = new URL(res.url()).pathname;
      if (!path.startsWith('/api/')) return;
      void res.body().then((b) => { bytes[path] = (bytes[path] ?? 0) + b.length; }, () => undefined);
    });
    await page.goto(baseUrl);
    await page.getByTestId('login-username').fill('operator');
    await page.getByTestId('login-password').fill('demo-operator');
    const t0 = Date.now();
    await page.getByTestId('login-submit').click();
    // anonymous arrows (tsx would wrap named functions in a __name helper the page lacks; a string
    // would be eval'd, which the dashboard's Content-Security-Policy forbids)
    const mapDone = page.waitForFunction((n) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string | null; cellMap?: { stats(): { draws: number } } } | null } }).document;
      const c = doc.querySelector('[data-testid="map-cell-canvas"]');
      return doc.querySelector('[data-testid="grid-map"]')?.getAttribute('data-cell-count') === String(n) && (c?.cellMap?.stats().draws ?? 0) > 0;
    }, cells, { polling: 'raf', timeout: 120_000 }).then(() => Date.now() - t0);
    const listDone = page.waitForSelector('[data-testid="device-row"]', { timeout: 120_000 }).then(() => Date.now() - t0);
    const [map_ms, list_ms] = await Promise.all([mapDone, listDone]);
    const t1 = Date.now();
    await page.getByTestId('device-search').fill(searchFor);
    await page.waitForFunction((id) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(a: string): string | null }> } }).document;
      const rows = doc.querySelectorAll('[data-testid="device-row"]');
      return rows.length === 1 && rows[0]!.getAttribute('data-device-id') === id;
    }, searchFor, { polling: 'raf', timeout: 60_000 });
    const search_ms = Date.now() - t1;
    return { map_ms, list_ms, first_paint_ms: Math.max(map_ms, list_ms), search_ms, api_bytes: bytes };
  } finally {
    await context.close();
  }
}
