// Proves the frame batcher coalesces a burst of live events into one update per frame, spaced at
// least `minMs` apart, and falls back to a timer in a hidden tab (no animation frames there).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFrameBatcher } from './useBatch';

let frames: (() => void)[] = [];
beforeEach(() => {
  vi.useFakeTimers();
  frames = [];
  vi.stubGlobal('requestAnimationFrame', (fn: () => void) => frames.push(fn));
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
const runFrames = () => frames.splice(0).forEach((f) => f());

describe('createFrameBatcher', () => {
  it('runs one flush for a burst of 1,000 events', () => {
    const flush = vi.fn();
    const schedule = createFrameBatcher(flush, 0);
    for (let i = 0; i < 1000; i++) schedule();
    expect(frames).toHaveLength(1);
    runFrames();
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('spaces flushes at least minMs apart', () => {
    const flush = vi.fn();
    const schedule = createFrameBatcher(flush, 250);
    schedule();
    runFrames();
    schedule();
    schedule();
    expect(frames).toHaveLength(0); // waiting out the 250 ms
    vi.advanceTimersByTime(250);
    runFrames();
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('uses a timer when the tab is hidden', () => {
    vi.stubGlobal('document', { hidden: true });
    const flush = vi.fn();
    const schedule = createFrameBatcher(flush, 0);
    schedule();
    expect(frames).toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(flush).toHaveBeenCalledTimes(1);
  });
});
