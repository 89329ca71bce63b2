// Who is signed in: asks the server (GET /api/auth/me), signs in and out, refreshes the short-lived
// token every 10 minutes, and sends the user back to the sign-in form when the session expires.
// The session cookie signs requests and the socket (http.ts): each refresh replaces it (the server
// retires the old token after a short grace), and the browser keeps the newest one for every tab. A
// session ends SESSION_MAX_AGE after sign-in: the last tokens end with it, so when a refreshed token
// is shorter than a full TOKEN_TTL_MS, the page stops refreshing and signs out when it ends, with the
// "session expired" message.
import { TOKEN_TTL_MS, type LoginResponse, type UserView } from '@citygrid/contract';
import { readonly, shallowRef, type Ref } from 'vue';
import { api } from '../api/endpoints';
import { setAuthHandlers, toApiError } from '../api/http';
import { i18n } from '../i18n';
import { notify } from './useNotice';
import { onSocketRefused, startSocket, stopSocket } from './useSocket';

export type AuthStatus = 'checking' | 'unreachable' | 'signed-out' | 'signed-in';

const REFRESH_MS = 10 * 60_000; // 10 minutes (tokens live 30)
const RETRY_MS = 5000; // 5 seconds
/** A refresh that got no answer is tried again well within the 60 s the server still accepts the token it replaced. */
const REFRESH_RETRY_MS = 10_000; // 10 seconds

const user = shallowRef<UserView | null>(null);
const status = shallowRef<AuthStatus>('checking');
/** Signed out because the session ran out (not by choice): the form says so. */
const expired = shallowRef(false);
let firstUser: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let checkTimer: ReturnType<typeof setTimeout> | undefined;
const onSignIn = new Set<(u: UserView) => void>();
const onSignOut = new Set<() => void>();
let started = false;

/** Where a role starts: grid workers on their phone view, everyone else in the control room. */
export function homeOf(u: Pick<UserView, 'role'>): '#/my' | '#/' {
  return u.role === 'gridworker' ? '#/my' : '#/';
}

function scheduleRefresh(ms = REFRESH_MS) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), ms);
}

/** How long a token lives, by its own iat and exp (the server's clock, so this device's clock does not matter). */
export function tokenLifetimeMs(token: string): number | null {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const { iat, exp } = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '='))) as { iat?: unknown; exp?: unknown };
    return typeof iat === 'number' && typeof exp === 'number' ? (exp - iat) * 1000 : null;
  } catch {
    return null;
  }
}

/** After a sign-in or refresh: refresh again in 10 minutes, or, once the session's end has come within a token's life, sign out when it comes. */
function scheduleAfter(token: string | null): void {
  const lifetime = token ? tokenLifetimeMs(token) : null;
  if (lifetime === null || lifetime >= TOKEN_TTL_MS) {
    scheduleRefresh();
    return;
  }
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => sessionEnded(), Math.max(0, lifetime));
}

function signedIn(u: UserView, token: string | null): void {
  // Another person on this page: start from a clean page (the stores hold the last user's view).
  if (firstUser && firstUser !== u.username) {
    window.location.reload();
    return;
  }
  firstUser = u.username;
  user.value = u;
  expired.value = false;
  status.value = 'signed-in';
  startSocket(null); // the cookie signs the handshake
  scheduleAfter(token);
  for (const fn of onSignIn) fn(u);
}

function sessionEnded(): void {
  if (status.value !== 'signed-in') return;
  clearTimeout(refreshTimer);
  stopSocket();
  expired.value = true;
  status.value = 'signed-out';
  for (const fn of onSignOut) fn();
}

async function refresh(): Promise<void> {
  try {
    const res = await api.refresh();
    user.value = res.user;
    scheduleAfter(res.token);
  } catch (err) {
    if (toApiError(err).status === 401) sessionEnded();
    else scheduleRefresh(REFRESH_RETRY_MS); // no answer: the server may have replaced the token all the same
  }
}

async function check(): Promise<void> {
  clearTimeout(checkTimer);
  try {
    const me = await api.me();
    if (!window.location.hash && me.role === 'gridworker') window.location.hash = homeOf(me);
    signedIn(me, null);
    void refresh(); // a fresh cookie, and how long the session has left
  } catch (err) {
    const e = toApiError(err);
    if (e.status === 401 || e.status === 403 || e.status === 404) {
      status.value = 'signed-out';
    } else {
      status.value = 'unreachable';
      checkTimer = setTimeout(() => void check(), RETRY_MS);
    }
  }
}

async function login(username: string, password: string): Promise<LoginResponse> {
  const res = await api.login(username, password);
  // After an expired session the same person goes on where they were; a fresh sign-in starts at home.
  const resume = expired.value && firstUser === res.user.username;
  if (!resume) window.location.hash = homeOf(res.user);
  signedIn(res.user, res.token);
  return res;
}

async function logout(): Promise<void> {
  clearTimeout(refreshTimer);
  try {
    await api.logout();
  } catch { /* signed out locally anyway; the cookie expires on its own */ }
  stopSocket();
  // A clean page for whoever signs in next.
  window.location.hash = '';
  window.location.reload();
}

function start(): void {
  if (started) return;
  started = true;
  setAuthHandlers({
    unauthorized: () => sessionEnded(),
    forbidden: (err) => notify(i18n.global.t('notice.forbidden', { message: err.message })),
  });
  onSocketRefused(() => {
    // Refused handshake: the session is gone (the API answers 401), or our token is stale: get a new one.
    api.me().then(() => refresh(), (err) => { if (toApiError(err).status === 401) sessionEnded(); });
  });
  void check();
}

export function useAuth() {
  start();
  return {
    user: user as Readonly<Ref<UserView | null>>,
    status: readonly(status),
    expired: readonly(expired),
    login,
    logout,
    refresh,
    retry: check,
    onSignIn: (fn: (u: UserView) => void) => onSignIn.add(fn),
    onSignOut: (fn: () => void) => onSignOut.add(fn),
  };
}
