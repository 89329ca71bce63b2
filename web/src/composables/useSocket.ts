// One typed Socket.IO connection for the whole app; reconnects on its own. It connects only once
// signed in (the session cookie, and the token as `auth`, authenticate the handshake).
import type { ClientToServerEvents, ServerToClientEvents } from '@citygrid/contract';
import { io, type Socket } from 'socket.io-client';
import { readonly, ref } from 'vue';

export type CitySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

const RETRY_REFUSED_MS = 3000; // 3 seconds
const RECONNECT_MS = 200; // after the server closed an expired socket

let socket: CitySocket | null = null;
let token: string | null = null;
let wanted = false;
let refusedHandler: ((message: string) => void) | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
const state = ref<ConnectionState>('connecting');
/** Increments on every (re)connect: consumers resynchronise state they may have missed. */
const connects = ref(0);

function create(): CitySocket {
  const s: CitySocket = io({
    autoConnect: false,
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    // Called on every (re)connect: always the newest token.
    auth: (cb) => cb(token ? { token } : {}),
  });
  s.on('connect', () => {
    state.value = 'live';
    connects.value++;
  });
  s.on('disconnect', (reason) => {
    state.value = 'reconnecting';
    // The server closed it (its token expired; ours is refreshed every 10 minutes): Socket.IO does
    // not retry that on its own, so reconnect at once with the newest token.
    if (reason === 'io server disconnect' && wanted) retryLater(RECONNECT_MS);
  });
  s.on('connect_error', (err) => {
    if (state.value !== 'live') state.value = connects.value === 0 ? 'connecting' : 'reconnecting';
    // Refused by the server's middleware (not signed in, token expired): no automatic retry.
    if (!s.active && wanted) {
      refusedHandler?.(err.message);
      retryLater();
    }
  });
  return s;
}

function retryLater(ms = RETRY_REFUSED_MS) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => { if (wanted && socket && !socket.connected) socket.connect(); }, ms);
}

function get(): CitySocket {
  socket ??= create();
  return socket;
}

/** Signed in (or signed in again): (re)connect with this token. */
export function startSocket(newToken: string | null): void {
  token = newToken ?? token;
  wanted = true;
  const s = get();
  if (s.connected) s.disconnect();
  s.connect();
}

/** A refreshed token: used from the next handshake on. */
export function setSocketToken(newToken: string): void {
  token = newToken;
}

/** Signed out: close and stay closed. */
export function stopSocket(): void {
  wanted = false;
  token = null;
  clearTimeout(retryTimer);
  socket?.disconnect();
  state.value = 'connecting';
}

/** Back online after the browser was offline: reconnect at once instead of waiting for a ping timeout. */
export function nudgeSocket(): void {
  if (!wanted || !socket) return;
  if (socket.connected) socket.disconnect();
  socket.connect();
}

export function onSocketRefused(handler: (message: string) => void): void {
  refusedHandler = handler;
}

export function useSocket() {
  return {
    socket: get(),
    state: readonly(state),
    connects: readonly(connects),
  };
}
