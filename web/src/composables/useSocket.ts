// One typed Socket.IO connection for the whole app; reconnects on its own.
import type { ClientToServerEvents, ServerToClientEvents } from '@citygrid/contract';
import { io, type Socket } from 'socket.io-client';
import { readonly, ref } from 'vue';

export type CitySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

let socket: CitySocket | null = null;
const state = ref<ConnectionState>('connecting');
/** Increments on every (re)connect: consumers resynchronise state they may have missed. */
const connects = ref(0);

function connect(): CitySocket {
  const s: CitySocket = io({
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
  });
  s.on('connect', () => {
    state.value = 'live';
    connects.value++;
  });
  s.on('disconnect', () => {
    state.value = 'reconnecting';
  });
  s.on('connect_error', () => {
    if (state.value !== 'live') state.value = connects.value === 0 ? 'connecting' : 'reconnecting';
  });
  return s;
}

export function useSocket() {
  socket ??= connect();
  return {
    socket,
    state: readonly(state),
    connects: readonly(connects),
  };
}
