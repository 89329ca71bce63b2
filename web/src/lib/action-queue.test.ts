// Proves the offline action queue: an accepted action is stored at once, survives a restart, is
// retried with backoff until the server confirms, counts 409 as confirmed, drops what the server
// will never accept, waits while signed out, and keeps acknowledge before resolve.
import { describe, expect, it, vi } from 'vitest';
import { backoffMs, classify, createActionQueue, type QueuedAction } from './action-queue';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
  removeItem(k: string) { this.data.delete(k); }
}
const fail = (status: number, code = 'X') => Object.assign(new Error(code), { status, code });

function setup(send: (a: QueuedAction) => Promise<unknown>, storage = new MemoryStorage()) {
  let now = 1_000;
  const timers: { at: number; fn: () => void }[] = [];
  const dropped: string[] = [];
  const confirmed: string[] = [];
  const q = createActionQueue({
    storage, key: 'q', send, now: () => now,
    setTimer: (fn, ms) => { const t = { at: now + ms, fn }; timers.push(t); return t; },
    clearTimer: (h) => { const i = timers.indexOf(h as never); if (i >= 0) timers.splice(i, 1); },
    onDropped: (a, f) => dropped.push(`${a.type}:${f.status}`),
    onConfirmed: (a) => confirmed.push(a.type),
  });
  /** Moves the clock on and runs the timers that are due. */
  const settle = () => new Promise((r) => setTimeout(r, 0));
  async function advance(ms: number) {
    await settle(); // let a running flush finish and set its timer
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
    await settle();
  }
  return { q, storage, dropped, confirmed, advance, timers };
}

describe('createActionQueue', () => {
  it('stores an action before sending it and forgets it once the server confirms', async () => {
    let release!: () => void;
    const send = vi.fn(() => new Promise<void>((r) => { release = r; }));
    const { q, storage, confirmed } = setup(send);
    q.enqueue('a1', 'resolve', 'barrier up');
    expect(JSON.parse(storage.getItem('q')!)).toMatchObject([{ alertId: 'a1', type: 'resolve', note: 'barrier up' }]);
    release();
    await vi.waitFor(() => expect(q.list()).toHaveLength(0));
    expect(storage.getItem('q')).toBeNull();
    expect(confirmed).toEqual(['resolve']);
  });

  it('retries with backoff while the network is down, then sends', async () => {
    let online = false;
    const send = vi.fn(async () => { if (!online) throw new TypeError('Failed to fetch'); });
    const { q, advance } = setup(send);
    q.enqueue('a1', 'ack');
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(q.list()[0]).toMatchObject({ attempts: 1, lastError: 'NETWORK' });
    await advance(backoffMs(1));
    expect(send).toHaveBeenCalledTimes(2);
    online = true;
    await advance(backoffMs(2));
    expect(send).toHaveBeenCalledTimes(3);
    expect(q.list()).toHaveLength(0);
  });

  it('survives a restart: a new queue on the same storage sends what the old one accepted', async () => {
    const storage = new MemoryStorage();
    const first = setup(async () => { throw fail(0, 'NETWORK'); }, storage);
    first.q.enqueue('a1', 'resolve', 'done');
    await vi.waitFor(() => expect(first.q.list()[0]?.attempts).toBe(1));
    first.q.dispose();
    const sent: string[] = [];
    const second = setup(async (a) => { sent.push(`${a.alertId}:${a.type}:${a.note}`); }, storage);
    expect(second.q.list()).toHaveLength(1);
    await second.q.retryNow();
    expect(sent).toEqual(['a1:resolve:done']);
    expect(storage.getItem('q')).toBeNull();
  });

  it('counts 409 (already resolved) as confirmed and drops what will never be accepted', async () => {
    const answers: Record<string, Error> = { a1: fail(409, 'CG_ALERT_RESOLVED'), a2: fail(403, 'CG_FORBIDDEN'), a3: fail(400, 'CG_NOTE_REQUIRED') };
    const { q, dropped, confirmed } = setup(async (a) => { throw answers[a.alertId]!; });
    q.enqueue('a1', 'resolve', 'x');
    q.enqueue('a2', 'ack');
    q.enqueue('a3', 'resolve', ' ');
    await vi.waitFor(() => expect(q.list()).toHaveLength(0));
    expect(confirmed).toEqual(['resolve']);
    expect(dropped).toEqual(['ack:403', 'resolve:400']);
  });

  it('waits while signed out (401) and resumes on retryNow', async () => {
    let signedIn = false;
    const send = vi.fn(async () => { if (!signedIn) throw fail(401, 'CG_UNAUTHORIZED'); });
    const { q, advance } = setup(send);
    q.enqueue('a1', 'ack');
    await vi.waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    await advance(60_000);
    expect(send).toHaveBeenCalledTimes(1); // paused: no timer while signed out
    signedIn = true;
    await q.retryNow();
    expect(q.list()).toHaveLength(0);
  });

  it('sends in the order accepted (acknowledge before resolve) and merges a repeated action', async () => {
    const sent: string[] = [];
    let online = false;
    const { q } = setup(async (a) => { if (!online) throw fail(503); sent.push(`${a.type}:${a.note}`); });
    q.enqueue('a1', 'ack');
    q.enqueue('a1', 'resolve', 'first');
    q.enqueue('a1', 'resolve', 'second');
    await vi.waitFor(() => expect(q.list()[0]?.attempts).toBe(1));
    expect(q.list()).toHaveLength(2);
    online = true;
    await q.retryNow();
    expect(sent).toEqual(['ack:null', 'resolve:second']);
  });

  it('classifies answers and caps the backoff', () => {
    expect(['confirmed', 'wait', 'retry', 'retry', 'retry', 'drop', 'drop']).toEqual(
      [409, 401, 0, 503, 429, 403, 404].map((status) => classify({ status, code: '', message: '' })));
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(20)).toBe(30_000);
  });
});
