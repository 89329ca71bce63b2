// The control room's incident replay: which past range is replayed (GET /api/replay), where the
// scrubber stands, how fast it plays, and what the map, the KPIs and the feed show at that moment
// (lib/replay-state.ts). One store for the page: the map, the header and the feed read the same frame.
// Live data keeps flowing underneath (the live stores never stop), so leaving replay shows the city
// as it is now at once, without reloading anything.
import { REPLAY_MAX_RANGE_MS } from '@citygrid/contract';
import { computed, effectScope, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { toApiError, type ApiRequestError } from '../api/http';
import {
  advance, cursorAt, frameState, moments, nextMoment, prevMoment, rangeProblem, REPLAY_SPEEDS,
  type Replay, type ReplayCursor, type ReplaySpeed,
} from '../lib/replay-state';
import { useAuth } from './useAuth';

/** How often the position moves while playing (ms): the map redraws at most this often. */
const TICK_MS = 250;
const HOUR = 3_600_000; // ms

export type ReplayPreset = 1 | 6 | 24;
export const REPLAY_PRESETS: readonly ReplayPreset[] = [1, 6, 24];
export type RangeProblem = NonNullable<ReturnType<typeof rangeProblem>>;

function createReplay() {
  /** The bar is open (the range is being chosen or replayed): the page shows the past while `data` is loaded. */
  const open = shallowRef(false);
  const data = shallowRef<Replay | null>(null);
  const loading = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  const problem = shallowRef<RangeProblem | null>(null);
  /** Where the replay stands: a time and how many transitions are applied (lib/replay-state.ts). */
  const position = shallowRef<ReplayCursor>({ t: 0, n: 0 });
  const speed = shallowRef<ReplaySpeed>(10);
  const playing = shallowRef(false);
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastTick = 0;
  let request: AbortController | null = null;

  /** Replaying: the map, KPIs and feed show `frame` instead of the live city. */
  const active = computed(() => open.value && data.value !== null);
  const frame = computed(() => (data.value ? frameState(data.value, position.value) : null));
  /** The moments stepping visits (frame ends and transitions), worked out once per replay. */
  const stops = computed(() => (data.value ? moments(data.value) : []));
  /** At the last moment: stepping on stays. */
  const atEnd = computed(() => {
    if (!stops.value.length) return false;
    const next = nextMoment(stops.value, position.value);
    return next.t === position.value.t && next.n === position.value.n;
  });

  function stopTimer() {
    clearInterval(timer);
    timer = undefined;
  }

  function pause() {
    playing.value = false;
    stopTimer();
  }

  function play() {
    const r = data.value;
    if (!r) return;
    if (position.value.t >= r.to) position.value = cursorAt(r, r.from); // at the end: from the start again
    playing.value = true;
    lastTick = performance.now();
    stopTimer();
    timer = setInterval(() => {
      const now = performance.now();
      position.value = cursorAt(r, advance(r, position.value.t, now - lastTick, speed.value));
      lastTick = now;
      if (position.value.t >= r.to) pause();
    }, TICK_MS);
  }

  /** To the next (or previous) moment anything shown changes: a frame's end or an alert transition. */
  function step(direction: 1 | -1 = 1) {
    if (!data.value) return;
    pause();
    position.value = direction === 1 ? nextMoment(stops.value, position.value) : prevMoment(stops.value, position.value);
  }

  function seek(t: number) {
    const r = data.value;
    if (!r) return;
    position.value = cursorAt(r, Math.min(r.to, Math.max(r.from, t)));
  }

  function setSpeed(s: number) {
    if ((REPLAY_SPEEDS as readonly number[]).includes(s)) speed.value = s as ReplaySpeed;
  }

  /** Replays [from, to] (to in the future counts up to now); a range the server would refuse is not asked for. */
  async function load(from: number, to: number): Promise<void> {
    const now = Date.now();
    problem.value = rangeProblem(from, to, now, REPLAY_MAX_RANGE_MS);
    if (problem.value) return;
    pause();
    request?.abort();
    const ctrl = (request = new AbortController());
    loading.value = true;
    error.value = null;
    try {
      const r = await api.replay({ from, to: Math.min(to, now) }, ctrl.signal);
      if (ctrl.signal.aborted) return;
      data.value = r;
      position.value = cursorAt(r, r.from);
    } catch (err) {
      if (ctrl.signal.aborted) return;
      error.value = toApiError(err);
    } finally {
      if (request === ctrl) {
        loading.value = false;
        request = null;
      }
    }
  }

  /** The last `hours` hours up to now. */
  function loadPreset(hours: ReplayPreset): Promise<void> {
    const now = Date.now();
    return load(now - hours * HOUR, now);
  }

  function start() {
    open.value = true;
  }

  /** Back to live: nothing to reload, the live stores kept up meanwhile. */
  function exit() {
    pause();
    request?.abort();
    request = null;
    loading.value = false;
    open.value = false;
    data.value = null;
    error.value = null;
    problem.value = null;
  }

  // signing out ends a replay (the next user starts live)
  useAuth().onSignOut(exit);
  watch(data, (r) => { if (!r) pause(); });

  return {
    open, active, data, loading, error, problem, position, speed, playing, frame, atEnd,
    start, exit, load, loadPreset, play, pause, step, seek, setSpeed,
  };
}

let store: ReturnType<typeof createReplay> | null = null;

export function useReplay() {
  // Detached scope: the map, the header and the feed share it, whichever mounts first.
  store ??= effectScope(true).run(createReplay)!;
  return store;
}
