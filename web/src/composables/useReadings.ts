// History of one metric of one device (GET /api/devices/:id/readings, downsampled so that
// about 300 points come back) plus live points appended from `reading` events.
import type { BucketPoint, RawPoint, ReadingEvent } from '@citygrid/contract';
import { onScopeDispose, shallowRef, watch, type Ref } from 'vue';
import { api } from '../api/endpoints';
import { ApiRequestError, isAbort } from '../api/http';
import type { ChartPoint } from '../lib/series';
import { useSocket } from './useSocket';

export const RANGES = {
  '1h': { ms: 3_600_000, step: '15s' }, // 240 buckets
  '24h': { ms: 86_400_000, step: '5m' }, // 288 buckets
  '7d': { ms: 604_800_000, step: '30m' }, // 336 buckets
} as const;
export type RangeKey = keyof typeof RANGES;
export const RANGE_KEYS = Object.keys(RANGES) as RangeKey[];

/** A bucket, or a raw value (mean = min = max). */
export type SeriesPoint = ChartPoint;

const MAX_LIVE = 2000;

function toPoint(p: RawPoint | BucketPoint): SeriesPoint {
  if ('mean' in p) return { ts: p.ts, mean: Number(p.mean), min: Number(p.min), max: Number(p.max) };
  const v = Number(p.value);
  return { ts: p.ts, mean: v, min: v, max: v };
}

export function useReadings(deviceId: Ref<string>, metric: Ref<string>, range: Ref<RangeKey>) {
  const history = shallowRef<SeriesPoint[]>([]);
  const live = shallowRef<SeriesPoint[]>([]);
  const from = shallowRef(0);
  const to = shallowRef(0);
  const loading = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  let controller: AbortController | null = null;

  async function load() {
    controller?.abort();
    const ctl = (controller = new AbortController());
    const { ms, step } = RANGES[range.value];
    const end = Date.now();
    loading.value = true;
    live.value = [];
    from.value = end - ms;
    to.value = end;
    try {
      const res = await api.readings(deviceId.value, { metric: metric.value, from: end - ms, to: end, step }, ctl.signal);
      const series = res.series.find((s) => s.metric === metric.value) ?? res.series[0];
      history.value = (series?.points ?? []).map(toPoint).sort((a, b) => a.ts - b.ts);
      error.value = null;
    } catch (err) {
      if (isAbort(err)) return;
      history.value = [];
      error.value = err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
    } finally {
      if (controller === ctl) {
        loading.value = false;
        controller = null;
      }
    }
  }

  function onReading(ev: ReadingEvent) {
    if (ev.device !== deviceId.value || !(metric.value in ev.metrics)) return;
    const last = live.value.at(-1)?.ts ?? history.value.at(-1)?.ts ?? -Infinity;
    if (ev.ts <= last) return;
    const v = Number(ev.metrics[metric.value]);
    const next = [...live.value, { ts: ev.ts, mean: v, min: v, max: v }];
    const windowStart = ev.ts - RANGES[range.value].ms;
    from.value = Math.max(from.value, windowStart);
    to.value = Math.max(to.value, ev.ts);
    live.value = next.length > MAX_LIVE ? next.slice(-MAX_LIVE) : next;
  }

  const { socket } = useSocket();
  socket.on('reading', onReading);
  watch([deviceId, metric, range], load, { immediate: true });
  onScopeDispose(() => {
    socket.off('reading', onReading);
    controller?.abort();
  });

  return { history, live, from, to, loading, error, reload: load };
}
