// Proves live readings are coalesced to at most one per device per second: the first goes out at once, the latest of the rest when the window ends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReadingEvent } from '@citygrid/contract';
import { ReadingCoalescer } from './reading-coalescer.js';

const WINDOW = 1000;
const NEVER = 1_000_000_000; // tick interval that never fires during a test (below setInterval's 2^31-1 ms limit)

function reading(device: string, level: number, ts: number): ReadingEvent {
  return { device, grid: 'c-a', district: 'east', kind: 'water_level', ts, metrics: { level_cm: level }, condition: 'ok' };
}

describe('ReadingCoalescer', () => {
  let clock: number;
  let sent: { at: number; event: ReadingEvent }[];
  let coalescer: ReadingCoalescer;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000_000;
    sent = [];
    coalescer = new ReadingCoalescer((event) => sent.push({ at: clock, event }), now, WINDOW, NEVER);
  });
  afterEach(() => coalescer.close());

  it('sends the first reading of a device at once', () => {
    coalescer.push(reading('wl-1', 10, clock));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.event.metrics).toEqual({ level_cm: 10 });
  });

  it('holds further readings within the window and sends only the latest, once, when the window ends', () => {
    coalescer.push(reading('wl-1', 10, clock));
    for (const [dt, level] of [[200, 11], [500, 12], [900, 13]] as const) {
      clock = 1_000_000 + dt;
      coalescer.push(reading('wl-1', level, clock));
      coalescer.tick();
    }
    expect(sent).toHaveLength(1);
    clock = 1_000_000 + 999;
    coalescer.tick();
    expect(sent).toHaveLength(1);
    clock = 1_000_000 + WINDOW;
    coalescer.tick();
    expect(sent.map((s) => s.event.metrics.level_cm)).toEqual([10, 13]);
    expect(sent[1]!.at).toBe(1_000_000 + WINDOW);
    clock += 5 * WINDOW;
    coalescer.tick();
    expect(sent).toHaveLength(2);
  });

  it('sends at once again after a quiet window', () => {
    coalescer.push(reading('wl-1', 10, clock));
    clock += WINDOW;
    coalescer.push(reading('wl-1', 11, clock));
    expect(sent.map((s) => s.event.metrics.level_cm)).toEqual([10, 11]);
  });

  it('keeps devices independent', () => {
    coalescer.push(reading('wl-1', 10, clock));
    coalescer.push(reading('wl-2', 20, clock));
    clock += 300;
    coalescer.push(reading('wl-1', 11, clock));
    coalescer.push(reading('wl-3', 30, clock));
    expect(sent.map((s) => s.event.device)).toEqual(['wl-1', 'wl-2', 'wl-3']);
    clock += 700;
    coalescer.tick();
    expect(sent.map((s) => `${s.event.device}=${s.event.metrics.level_cm}`)).toEqual(['wl-1=10', 'wl-2=20', 'wl-3=30', 'wl-1=11']);
  });

  it('sends nothing held after close()', () => {
    coalescer.push(reading('wl-1', 10, clock));
    coalescer.push(reading('wl-1', 11, clock + 1));
    coalescer.close();
    clock += 2 * WINDOW;
    coalescer.tick();
    expect(sent).toHaveLength(1);
  });

  it('never sends more than one reading per device per window over a minute of 20 readings/s', () => {
    const devices = ['wl-1', 'wl-2', 'wl-3'];
    const start = clock;
    for (let t = 0; t < 60_000; t += 50) {
      clock = start + t;
      for (const [i, d] of devices.entries()) coalescer.push(reading(d, (t / 50 + i) % 500, clock));
      if (t % 100 === 0) coalescer.tick(); // the real interval ticks every 100 ms
    }
    clock = start + 60_000 + WINDOW;
    coalescer.tick();
    for (const d of devices) {
      const times = sent.filter((s) => s.event.device === d).map((s) => s.at);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `${d} send ${i}`).toBeGreaterThanOrEqual(WINDOW);
      // one per second, give or take the last one flushed after the minute
      expect(times.length, d).toBeGreaterThanOrEqual(58);
      expect(times.length, d).toBeLessThanOrEqual(62);
      // the last reading of the minute is not lost
      expect(sent.filter((s) => s.event.device === d).at(-1)!.event.ts).toBe(start + 60_000 - 50);
    }
  });
});

describe('ReadingCoalescer with its own interval', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 5_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('flushes a held reading from its timer within one tick of the window ending', () => {
    const sent: ReadingEvent[] = [];
    const coalescer = new ReadingCoalescer((e) => sent.push(e), Date.now, WINDOW, 100);
    coalescer.push(reading('wl-1', 10, Date.now()));
    vi.advanceTimersByTime(400);
    coalescer.push(reading('wl-1', 12, Date.now()));
    vi.advanceTimersByTime(500); // t = 900
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(200); // t = 1100: the tick at 1000 sends
    expect(sent.map((e) => e.metrics.level_cm)).toEqual([10, 12]);
    coalescer.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ReadingCoalescer window queue', () => {
  it('is not held up by a device sent again before the tick saw its window end', () => {
    let clock = 0;
    const sent: string[] = [];
    const ev = (device: string) => ({ device, grid: 'g', district: 'd', kind: 'water_level' as const, ts: clock, metrics: {}, condition: 'ok' as const });
    const c = new ReadingCoalescer((e) => sent.push(`${e.device}@${clock}`), () => clock, 1000, 1_000_000_000);
    c.push(ev('a')); // a sent at 0
    clock = 10;
    c.push(ev('b')); // b sent at 10
    clock = 1005;
    c.push(ev('a')); // a's window ended, no tick yet: sent at once (its old queue entry is stale)
    c.push(ev('a')); // held until 2005
    clock = 1020;
    c.push(ev('b')); // b's window ended at 1010: sent at once
    c.push(ev('b')); // held until 2020
    clock = 2010;
    c.tick();
    clock = 2025;
    c.tick();
    c.close();
    expect(sent).toEqual(['a@0', 'b@10', 'a@1005', 'b@1020', 'a@2010', 'b@2025']);
  });
});
