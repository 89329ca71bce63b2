// Smart waste bin: fills through the day with people's activity and is emptied every
// morning; busy bins pass 80 % in the evening, and a missed collection lets one overflow.
import { bell, UTC_OFFSET_HOURS } from '../environment.js';
import { rngFor } from '../random.js';
import { fit, HOUR, type ModelContext, type SignalModel } from '../model.js';

const DAY = 24 * HOUR;
const STEPS = 144; // 10-minute steps of the daily activity table

/** Cumulative share of a day's rubbish thrown away by local hour (0 at 00:00, 1 at 24:00). */
const CUMULATIVE = (() => {
  const activity = (h: number) => 0.08 + bell(h, 12.5, 3.5) + 0.6 * bell(h, 19, 2);
  const cum = [0];
  for (let i = 0; i < STEPS; i++) cum.push(cum[i]! + activity(((i + 0.5) * 24) / STEPS));
  const total = cum[STEPS]!;
  return cum.map((c) => c / total);
})();

function cumulativeAt(localMs: number): number {
  const days = Math.floor(localMs / DAY);
  const x = ((localMs - days * DAY) / DAY) * STEPS;
  const i = Math.min(STEPS - 1, Math.floor(x));
  const within = CUMULATIVE[i]! + (CUMULATIVE[i + 1]! - CUMULATIVE[i]!) * (x - i);
  return days + within;
}

export function createWasteBinModel({ deviceId, seed }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const busy = p.chance(0.2);
  const dailyFill = busy ? p.uniform(65, 95) : p.uniform(30, 65); // % of the bin per day
  const collectHour = p.uniform(5, 7.5);
  const noise = rngFor(seed, deviceId, 'noise');

  /** Local-time ms of the last collection before `local`, skipping missed rounds (3 %). */
  function lastCollection(local: number): { at: number; residual: number } {
    const today = Math.floor(local / DAY);
    for (let d = today; d > today - 4; d--) {
      const round = rngFor(seed, deviceId, 'collection', d);
      const at = d * DAY + (collectHour + round.uniform(-0.3, 0.3)) * HOUR;
      const missed = round.chance(0.03);
      if (at <= local && !missed) return { at, residual: round.uniform(1, 6) };
    }
    return { at: (today - 4) * DAY, residual: 0 };
  }

  return {
    sample(t) {
      const local = t + UTC_OFFSET_HOURS * HOUR;
      const last = lastCollection(local);
      const thrown = dailyFill * (cumulativeAt(local) - cumulativeAt(last.at));
      const fill = Math.min(100, last.residual + thrown) + noise.normal(0, 1.2);
      return { fill_pct: fit('waste_bin', 'fill_pct', fill) };
    },
  };
}
