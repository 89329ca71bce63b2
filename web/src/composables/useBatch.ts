// Coalesce bursts of live events into one update per animation frame (at most every `minMs`).
// A hidden tab gets no animation frames: there a timer applies the batch, so nothing piles up.
export function createFrameBatcher(flush: () => void, minMs = 250): () => void {
  let scheduled = false;
  let last = -Infinity;

  function run() {
    scheduled = false;
    last = performance.now();
    flush();
  }

  function frame() {
    if (typeof document !== 'undefined' && document.hidden) setTimeout(run, Math.max(minMs, 100));
    else requestAnimationFrame(run);
  }

  return function schedule() {
    if (scheduled) return;
    scheduled = true;
    const wait = Math.max(0, last + minMs - performance.now());
    if (wait === 0) frame();
    else setTimeout(frame, wait);
  };
}
