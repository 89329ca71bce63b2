// Coalesce bursts of live events into one update per animation frame (at most every `minMs`).
export function createFrameBatcher(flush: () => void, minMs = 250): () => void {
  let scheduled = false;
  let last = 0;

  function run() {
    scheduled = false;
    last = performance.now();
    flush();
  }

  return function schedule() {
    if (scheduled) return;
    scheduled = true;
    const wait = Math.max(0, last + minMs - performance.now());
    if (wait === 0) requestAnimationFrame(run);
    else setTimeout(() => requestAnimationFrame(run), wait);
  };
}
