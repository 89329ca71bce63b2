// Pure helpers of the load generator and the benchmark: rate pacing, percentiles, the stepped
// search for the highest rate a system sustains, and a text progress bar.

/**
 * How many units (readings) are due at `now` for a steady `ratePerS` since `start`, minus those
 * already taken. Never more than `maxBurst` at once, so a stalled process does not fire a burst.
 */
export class Pacer {
  private taken = 0;
  private start: number;

  constructor(private ratePerS: number, now: number, private readonly maxBurst = Number.POSITIVE_INFINITY) {
    this.start = now;
  }

  due(now: number): number {
    if (this.ratePerS === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    const owed = Math.floor((this.ratePerS * (now - this.start)) / 1000) - this.taken;
    if (owed > this.maxBurst) {
      // forget what could not be sent in time: the schedule restarts from here
      this.taken += owed - this.maxBurst;
      return this.maxBurst;
    }
    return Math.max(0, owed);
  }

  take(n: number): void {
    this.taken += n;
  }

  /** Total handed out since start (the ones skipped by maxBurst count as taken). */
  get total(): number {
    return this.taken;
  }
}

/** The p-quantile (0..1) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

export interface SaturationStep { rate: number; ok: boolean }

/**
 * Stepped search for the highest rate where `probe(rate)` holds: starts at `start`, multiplies by
 * `grow` while it holds (up to `max`), then bisects between the best rate that held and the lowest
 * that failed until they are within `precision` (a fraction) or `maxSteps` probes were made.
 * Rates are rounded to `round`. Returns the best rate that held (0 if none) and every step.
 */
export async function searchSaturation(
  probe: (rate: number) => Promise<boolean>,
  o: { start: number; max: number; grow?: number; precision?: number; maxSteps: number; round?: number },
): Promise<{ best: number; steps: SaturationStep[] }> {
  const grow = o.grow ?? 1.5;
  const precision = o.precision ?? 0.1;
  const round = o.round ?? 1000;
  const r = (x: number) => Math.max(round, Math.round(x / round) * round);
  const steps: SaturationStep[] = [];
  let best = 0;
  let failed = Number.POSITIVE_INFINITY;
  let rate = r(Math.min(o.start, o.max));
  while (steps.length < o.maxSteps) {
    const ok = await probe(rate);
    steps.push({ rate, ok });
    if (ok) best = Math.max(best, rate);
    else failed = Math.min(failed, rate);
    let next: number;
    if (failed === Number.POSITIVE_INFINITY) {
      if (rate >= o.max) break;
      next = r(Math.min(o.max, rate * grow));
    } else {
      const low = best > 0 ? best : 0;
      if (failed - low <= Math.max(round, failed * precision)) break;
      next = r((low + failed) / 2);
      if (best === 0 && next >= failed) next = r(failed / 2);
    }
    if (next === rate || steps.some((s) => s.rate === next)) break;
    rate = next;
  }
  return { best, steps };
}

/** `[#####-----]  42% 4,200/10,000 label` in `width` cells. */
export function progressBar(done: number, total: number, width = 30, label = ''): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const full = Math.round(share * width);
  const pct = `${Math.floor(share * 100)}%`.padStart(4);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${pct} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${label ? ` ${label}` : ''}`;
}
