// Proves useAlertFeed: the snapshot loads, live `alert` events wait in the buffer and are applied
// together on the next frame (newest state per alert), arrivals are reported once, and the cell
// colours and past-deadline count follow.
import type { Alert, AlertSocketEvent } from '@citygrid/contract';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';

const T0 = Date.now();
function alert(id: string, p: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'r', ruleKind: 'threshold', severity: 'orange', key: id, devices: [], grid: 'c1', district: 'd', message: 'm', guidance: 'g',
    values: {}, state: 'firing', startedAt: T0, firedAt: T0, updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null,
    resolvedBy: null, escalation: 0, assignees: [], ackDeadline: T0 + 600_000, suppressed: false, ...p,
  };
}

const handlers = new Map<string, (ev: AlertSocketEvent) => void>();
vi.mock('./useSocket', () => ({
  useSocket: () => ({
    socket: { on: (name: string, fn: (ev: AlertSocketEvent) => void) => handlers.set(name, fn) },
    connects: ref(1),
    state: ref('live'),
  }),
}));
vi.mock('../api/endpoints', () => ({
  api: {
    alerts: vi.fn(async () => ({ alerts: [alert('old', { severity: 'blue', ackDeadline: T0 - 1000 })] })),
    alert: vi.fn(),
  },
}));

let frames: (() => void)[] = [];
beforeAll(() => {
  vi.stubGlobal('requestAnimationFrame', (fn: () => void) => frames.push(fn));
});
const nextFrame = async () => {
  await new Promise((r) => setTimeout(r, 120)); // the batcher waits at least 100 ms between flushes
  frames.splice(0).forEach((f) => f());
};

describe('useAlertFeed', () => {
  it('loads the snapshot, buffers live events and applies them per frame', async () => {
    const { useAlertFeed } = await import('./useAlertFeed');
    const feed = useAlertFeed();
    await vi.waitFor(() => expect(feed.state.value).toBe('ready'));
    await nextFrame();
    expect(feed.items.value.map((a) => a.id)).toEqual(['old']);
    expect(feed.overdue.value).toBe(1);

    const arrivals: string[] = [];
    feed.onArrival((list) => arrivals.push(...list.map((a) => a.id)));
    const push = handlers.get('alert')!;
    push({ event: 'firing', actor: 'system', note: null, alert: alert('new', { severity: 'red' }) });
    push({ event: 'acknowledged', actor: 'op', note: null, alert: alert('new', { severity: 'red', state: 'acknowledged', updatedAt: T0 + 5 }) });
    push({ event: 'firing', actor: 'system', note: null, alert: alert('other', { grid: 'c2' }) });
    expect(feed.buffer.value).toBe(2);
    expect(feed.items.value).toHaveLength(1); // nothing applied before the frame

    await nextFrame();
    expect(feed.buffer.value).toBe(0);
    expect(feed.items.value.map((a) => `${a.id}:${a.state}`)).toEqual(['new:acknowledged', 'other:firing', 'old:firing']);
    expect(arrivals.sort()).toEqual(['new', 'other']);
    expect(Object.fromEntries(feed.cellColour.value)).toEqual({ c1: 'red', c2: 'orange' });
  });
});
