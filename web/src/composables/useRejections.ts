// Recent refused messages: GET /api/rejections, then live `rejection` events (batched).
import type { Rejection, RejectionReason } from '@citygrid/contract';
import { effectScope, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { ApiRequestError } from '../api/http';
import { createFrameBatcher } from './useBatch';
import { useSocket } from './useSocket';

const KEEP = 200;

function createRejections() {
  const items = shallowRef<Rejection[]>([]);
  const total = shallowRef(0);
  const byReason = shallowRef<Partial<Record<RejectionReason, number>>>({});
  const error = shallowRef<ApiRequestError | null>(null);
  const buffer: Rejection[] = [];
  let pendingCounts: Partial<Record<RejectionReason, number>> = {};
  let pendingTotal = 0;

  const flush = createFrameBatcher(() => {
    const arrived = buffer.splice(0).reverse();
    const counts = { ...byReason.value };
    for (const [reason, n] of Object.entries(pendingCounts) as [RejectionReason, number][]) {
      counts[reason] = (counts[reason] ?? 0) + n;
    }
    byReason.value = counts;
    total.value += pendingTotal;
    pendingCounts = {};
    pendingTotal = 0;
    items.value = [...arrived, ...items.value].slice(0, KEEP);
  });

  async function reload() {
    try {
      const res = await api.rejections();
      items.value = [...res.items].sort((a, b) => b.ts - a.ts).slice(0, KEEP);
      total.value = res.total;
      byReason.value = res.byReason;
      error.value = null;
    } catch (err) {
      error.value = err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
    }
  }

  const { socket, connects } = useSocket();
  socket.on('rejection', (r) => {
    buffer.push(r);
    if (buffer.length > KEEP) buffer.shift();
    const n = r.count ?? 1; // a summed-up report (rate_limited) stands for `count` refusals
    pendingCounts[r.reason] = (pendingCounts[r.reason] ?? 0) + n;
    pendingTotal += n;
    flush();
  });
  watch(connects, (n) => { if (n > 1 || error.value) void reload(); });
  void reload();

  return { items, total, byReason, error, reload };
}

let store: ReturnType<typeof createRejections> | null = null;

export function useRejections() {
  // Detached scope: the store's watchers and computeds outlive the component that first asked.
  store ??= effectScope(true).run(createRejections)!;
  return store;
}
