// Proves the dashboard outlives its token: a control room opened with a session that has seconds left
// (its cookie's token was issued almost TOKEN_TTL_MS ago) refreshes the token, the server closes the
// socket when the old token expires, the dashboard reconnects with the new one by itself, stays signed
// in, and live values keep arriving over the new socket.
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TOKEN_COOKIE, TOKEN_TTL_MS, deviceTopic } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { AUTH_SECRET, signToken } from '../helpers/signed-in-city.js';
import { connectDevice, end, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { WAIT } from './ui.js';

const DEVICE = 'wl-0004';
/** How long the session the page opens with has left. */
const LEFT_MS = 20_000;

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let device: MqttClient;

/** The page's Socket.IO websockets, in order: connected (the server's CONNECT packet came), closed. */
interface SocketSeen { connectedAt: number | null; closedAt: number | null }
const sockets: SocketSeen[] = [];

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0', AUTH_SECRET });
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, DEVICE);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  page = await context.newPage();
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/socket.io/')) return;
    const seen: SocketSeen = { connectedAt: null, closedAt: null };
    sockets.push(seen);
    // Socket.IO over Engine.IO: "40{...}" is the server accepting the namespace connection
    ws.on('framereceived', (f) => { if (seen.connectedAt === null && typeof f.payload === 'string' && f.payload.startsWith('40')) seen.connectedAt = Date.now(); });
    ws.on('close', () => { seen.closedAt = Date.now(); });
  });
});

afterAll(async () => {
  await browser?.close();
  await end(device);
  await system?.stop();
});

it('refreshes its token, reconnects the socket the server closed at expiry, and keeps showing live values', async () => {
  const token = await signToken({ username: 'operator', role: 'operator' }, { issuedAgoMs: TOKEN_TTL_MS - LEFT_MS });
  const expiresAt = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000;
  await context.addCookies([{ name: TOKEN_COOKIE, value: token, url: system.baseUrl, httpOnly: true, sameSite: 'Strict' }]);

  // The dashboard asks for a new token as soon as it starts; hold that answer until its socket is up,
  // so the socket is the one signed in with the old token (as on a wall screen left open for a while).
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  await page.route('**/api/auth/refresh', async (route) => {
    await held;
    await route.continue();
  });
  const refreshed = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/refresh', { timeout: WAIT });

  await page.goto(system.baseUrl);
  await page.locator('[data-auth="signed-in"]').waitFor({ timeout: WAIT });
  await expect.poll(() => sockets[0]?.connectedAt ?? null, { timeout: WAIT }).not.toBeNull();
  release();
  expect((await refreshed).status()).toBe(200); // (the old token was still good for it)

  // The server ends the first socket when its token expires; the dashboard connects again, after the
  // expiry, so with the refreshed token.
  await expect.poll(() => sockets[0]!.closedAt, { timeout: WAIT }).not.toBeNull();
  expect(sockets[0]!.closedAt!).toBeGreaterThanOrEqual(expiresAt - 1000);
  await expect.poll(() => sockets.slice(1).some((s) => s.connectedAt !== null && s.closedAt === null), { timeout: WAIT }).toBe(true);
  expect(sockets.find((s, i) => i > 0 && s.connectedAt !== null)!.connectedAt!).toBeGreaterThanOrEqual(expiresAt);
  await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout: WAIT }).toBe('live');
  // still signed in: no sign-in form
  expect(await page.locator('[data-auth="signed-in"]').count()).toBe(1);
  expect(await page.getByTestId('login-form').count()).toBe(0);

  // Live values over the new socket. Two in a row: the first might come with the device list the
  // dashboard reloads on reconnecting; the second, published once the first shows, only live.
  await page.getByTestId('device-search').fill(DEVICE);
  const value = page.locator(`[data-testid="device-row"][data-device-id="${DEVICE}"] [data-testid="device-value"][data-metric="level_cm"]`);
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 13.5 } }));
  await expect.poll(() => value.textContent(), { timeout: WAIT }).toContain('13.5');
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 24.5 } }));
  await expect.poll(() => value.textContent(), { timeout: WAIT }).toContain('24.5');
});
