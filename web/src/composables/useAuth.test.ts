// Proves the dashboard follows session rotation: it signs requests and the socket with the session cookie only (the browser keeps the newest one for every tab, so no tab sends a replaced token), refreshes every 10 minutes, retries a refresh lost on the network within the server's grace period, and when the session reaches its end (a refreshed token shorter than 30 minutes) signs out at that moment with the "session expired" message instead of refreshing on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_TTL_MS, type LoginResponse, type UserView } from '@citygrid/contract';

const socket = vi.hoisted(() => ({ startSocket: vi.fn(), setSocketToken: vi.fn(), stopSocket: vi.fn(), onSocketRefused: vi.fn() }));
vi.mock('./useSocket', () => socket);
vi.mock('../i18n', () => ({ i18n: { global: { t: (k: string) => k } } }));
vi.mock('./useNotice', () => ({ notify: vi.fn() }));

const MIN = 60_000;
const USER: UserView = { username: 'operator', name: 'Op', role: 'operator', grids: [], districts: [] };
/** A token shaped like the server's: the payload says when it was issued and when it ends (server clock). */
function token(lifetimeMs: number, serverNow = 1_800_000_000_000): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(serverNow / 1000);
  return `${part({ alg: 'HS256' })}.${part({ sub: 'operator', iat, exp: iat + Math.floor(lifetimeMs / 1000), sid: 's', jti: Math.random().toString(36) })}.sig`;
}
const answer = (t: string): LoginResponse => ({ token: t, expiresAt: 0, user: USER });

type Reply = { status: number; body: unknown } | Error;
let replies: Record<string, Reply[]>;
const calls: { path: string; headers: Record<string, string>; body: unknown }[] = [];
const fetchMock = vi.fn(async (path: string, init: RequestInit = {}) => {
  calls.push({ path, headers: { ...(init.headers as Record<string, string>) }, body: init.body });
  const queue = replies[path] ?? [];
  const reply = queue.length > 1 ? queue.shift()! : queue[0];
  if (!reply) return new Response(JSON.stringify({ error: { code: 'CG_NOT_FOUND', message: path } }), { status: 404, headers: { 'content-type': 'application/json' } });
  if (reply instanceof Error) throw reply;
  return new Response(reply.status === 204 ? null : JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
});
const refreshes = () => calls.filter((c) => c.path === '/api/auth/refresh').length;

beforeEach(() => {
  vi.useFakeTimers();
  vi.resetModules();
  calls.length = 0;
  Object.values(socket).forEach((f) => f.mockClear());
  replies = {
    '/api/auth/me': [{ status: 401, body: { error: { code: 'CG_UNAUTHENTICATED', message: 'Sign in first' } } }],
    '/api/auth/login': [{ status: 200, body: answer(token(TOKEN_TTL_MS)) }],
    '/api/auth/refresh': [{ status: 200, body: answer(token(TOKEN_TTL_MS)) }],
    '/api/auth/logout': [{ status: 204, body: null }],
    '/api/alerts': [{ status: 200, body: { alerts: [] } }],
  };
  vi.stubGlobal('fetch', fetchMock);
  vi.stubGlobal('window', { location: { hash: '', reload: vi.fn() } });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function signedIn() {
  const { useAuth } = await import('./useAuth');
  const auth = useAuth();
  await vi.advanceTimersByTimeAsync(0); // the start-up check: not signed in yet
  await auth.login('operator', 'demo-operator');
  expect(auth.status.value).toBe('signed-in');
  return auth;
}

describe('useAuth', () => {
  it('signs every request and the socket with the session cookie, never with a token from an answer', async () => {
    await signedIn();
    await vi.advanceTimersByTimeAsync(10 * MIN); // a refresh
    expect(refreshes()).toBe(1);
    const { api } = await import('../api/endpoints');
    await api.alerts();
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const c of calls) {
      expect(Object.keys(c.headers).map((h) => h.toLowerCase()), c.path).not.toContain('authorization');
    }
    expect(socket.startSocket).toHaveBeenCalledWith(null);
    expect(socket.setSocketToken).not.toHaveBeenCalled();
  });

  it('refreshes every 10 minutes while the session lasts', async () => {
    await signedIn();
    await vi.advanceTimersByTimeAsync(10 * MIN - 1000);
    expect(refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(refreshes()).toBe(2);
  });

  it('signs out when the session reaches its end (its last token is shorter than 30 minutes), with the expired message, instead of refreshing on', async () => {
    const auth = await signedIn();
    replies['/api/auth/refresh'] = [{ status: 200, body: answer(token(3 * MIN)) }];
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(3 * MIN - 1000);
    expect(auth.status.value).toBe('signed-in');
    await vi.advanceTimersByTimeAsync(1000);
    expect(auth.status.value).toBe('signed-out');
    expect(auth.expired.value).toBe(true);
    expect(socket.stopSocket).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(refreshes()).toBe(1);
  });

  it("measures the session's end on the server's clock (the token's own times), not this device's", async () => {
    const auth = await signedIn();
    // a server clock 2 hours ahead of this device: the token's end is still 3 minutes after the refresh
    replies['/api/auth/refresh'] = [{ status: 200, body: answer(token(3 * MIN, Date.now() + 2 * 3_600_000)) }];
    await vi.advanceTimersByTimeAsync(10 * MIN);
    await vi.advanceTimersByTimeAsync(3 * MIN - 1000);
    expect(auth.status.value).toBe('signed-in');
    await vi.advanceTimersByTimeAsync(1000);
    expect(auth.status.value).toBe('signed-out');
  });

  it("retries a refresh lost on the network within the server's grace period, and signs out when the server refuses it", async () => {
    const auth = await signedIn();
    replies['/api/auth/refresh'] = [new TypeError('network down'), { status: 200, body: answer(token(TOKEN_TTL_MS)) }];
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(refreshes()).toBe(2);
    expect(auth.status.value).toBe('signed-in');
    replies['/api/auth/refresh'] = [{ status: 401, body: { error: { code: 'CG_UNAUTHENTICATED', message: 'Sign in again: you signed out of this session' } } }];
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(auth.status.value).toBe('signed-out');
    expect(auth.expired.value).toBe(true);
  });

  it('on a page opened with the cookie: asks who is signed in, then refreshes once to learn when the session ends', async () => {
    replies['/api/auth/me'] = [{ status: 200, body: USER }];
    replies['/api/auth/refresh'] = [{ status: 200, body: answer(token(2 * MIN)) }];
    const { useAuth } = await import('./useAuth');
    const auth = useAuth();
    await vi.advanceTimersByTimeAsync(0);
    expect(auth.status.value).toBe('signed-in');
    expect(refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(2 * MIN);
    expect(auth.status.value).toBe('signed-out');
  });
});
