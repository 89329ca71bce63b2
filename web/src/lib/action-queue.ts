// Acknowledge / resolve actions that must reach the server even over a flaky connection: kept in
// storage, sent in order, retried with backoff until the server confirms. A 409 (already resolved)
// counts as confirmed; a refusal that retrying cannot fix (400, 403, 404) is dropped and reported.
// Pure: storage, sender, clock and timers are passed in (unit-tested in action-queue.test.ts).

export type ActionType = 'ack' | 'resolve';

export interface QueuedAction {
  id: string;
  alertId: string;
  type: ActionType;
  note: string | null;
  queuedAt: number;
  attempts: number;
  /** Earliest time of the next attempt. */
  nextAt: number;
  lastError: string | null;
}

/** What a failed send looks like (ApiRequestError has these). */
export interface SendFailure { status: number; code: string; message: string }

export interface ActionQueueDeps {
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  key: string;
  send: (action: QueuedAction) => Promise<unknown>;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  onChange?: (actions: readonly QueuedAction[]) => void;
  onConfirmed?: (action: QueuedAction) => void;
  onDropped?: (action: QueuedAction, failure: SendFailure) => void;
}

export const MAX_BACKOFF_MS = 30_000; // 30 seconds

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** confirmed: done (or already done); retry: keep and try again; drop: the server will never accept it; wait: signed out. */
export function classify(f: SendFailure): 'confirmed' | 'retry' | 'drop' | 'wait' {
  if (f.status === 409) return 'confirmed';
  if (f.status === 401) return 'wait';
  if (f.status === 0 || f.status === 408 || f.status === 429 || f.status >= 500) return 'retry';
  return 'drop';
}

function asFailure(err: unknown): SendFailure {
  const e = err as Partial<SendFailure> | null;
  return {
    status: typeof e?.status === 'number' ? e.status : 0,
    code: typeof e?.code === 'string' ? e.code : 'NETWORK',
    message: err instanceof Error ? err.message : String(err),
  };
}

function isAction(x: unknown): x is QueuedAction {
  const a = x as QueuedAction | null;
  return typeof a?.id === 'string' && typeof a.alertId === 'string' && (a.type === 'ack' || a.type === 'resolve');
}

export function createActionQueue(deps: ActionQueueDeps) {
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let actions: QueuedAction[] = load();
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let again = false;
  let paused = false;
  let counter = 0;

  function load(): QueuedAction[] {
    try {
      const raw = deps.storage?.getItem(deps.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? parsed.filter(isAction) : [];
    } catch {
      return [];
    }
  }

  function save() {
    try {
      if (actions.length) deps.storage?.setItem(deps.key, JSON.stringify(actions));
      else deps.storage?.removeItem(deps.key);
    } catch { /* storage full or blocked: the queue still lives in memory */ }
    deps.onChange?.(actions);
  }

  function schedule() {
    if (timer !== null) clearTimer(timer);
    timer = null;
    if (!actions.length || paused) return;
    const wait = Math.max(0, Math.min(...actions.map((a) => a.nextAt)) - now());
    timer = setTimer(() => { timer = null; void flush(); }, wait);
  }

  async function run(): Promise<void> {
    // In order: an acknowledge goes before a later resolve of the same alert.
    for (const action of [...actions].sort((a, b) => a.queuedAt - b.queuedAt)) {
      if (paused) return;
      if (action.nextAt > now()) return;
      let failure: SendFailure | null = null;
      try {
        await deps.send(action);
      } catch (err) {
        failure = asFailure(err);
      }
      const outcome = failure ? classify(failure) : 'confirmed';
      if (outcome === 'confirmed' || outcome === 'drop') {
        actions = actions.filter((a) => a.id !== action.id);
        save();
        if (outcome === 'confirmed') deps.onConfirmed?.(action);
        else deps.onDropped?.(action, failure!);
        continue;
      }
      action.attempts++;
      action.lastError = failure!.code;
      action.nextAt = now() + backoffMs(action.attempts);
      if (outcome === 'wait') paused = true;
      save();
      return; // the connection (or the session) is the problem: stop, retry later in order
    }
  }

  async function flush(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await run();
      } while (again && !paused);
    })();
    try {
      await running;
    } finally {
      running = null;
      schedule();
    }
  }

  return {
    list: (): readonly QueuedAction[] => actions,
    pendingFor: (alertId: string) => actions.filter((a) => a.alertId === alertId),

    /** Accept an action: stored at once, sent as soon as possible. */
    enqueue(alertId: string, type: ActionType, note: string | null = null): QueuedAction {
      const t = now();
      const same = actions.find((a) => a.alertId === alertId && a.type === type);
      if (same) {
        same.note = note ?? same.note;
        same.nextAt = t;
        save();
        void flush();
        return same;
      }
      const action: QueuedAction = {
        id: `${t.toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
        alertId, type, note, queuedAt: t, attempts: 0, nextAt: t, lastError: null,
      };
      actions = [...actions, action];
      save();
      void flush();
      return action;
    },

    /** Try everything now (back online, reconnected, signed in again). */
    retryNow(): Promise<void> {
      paused = false;
      const t = now();
      for (const a of actions) a.nextAt = Math.min(a.nextAt, t);
      return flush();
    },

    /** Stop sending (signed out); retryNow() resumes. */
    pause(): void {
      paused = true;
      schedule();
    },

    flush,
    dispose(): void {
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
  };
}

export type ActionQueue = ReturnType<typeof createActionQueue>;
