// The server's `stats` event (every second): ingest rate, rejections, clients.
import type { StatsEvent } from '@citygrid/contract';
import { shallowRef, type Ref } from 'vue';
import { useSocket } from './useSocket';

const stats = shallowRef<StatsEvent | null>(null);
let started = false;

export function useStats(): Readonly<Ref<StatsEvent | null>> {
  if (!started) {
    started = true;
    const { socket } = useSocket();
    socket.on('stats', (ev) => { stats.value = ev; });
    socket.on('disconnect', () => { stats.value = null; });
  }
  return stats;
}
