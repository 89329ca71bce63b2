// Manhole cover: sits at 0-2° and trembles a little with traffic; now and then it is
// knocked askew (5-12°), and rarely it is lifted open.
import { episodeAt, hashSeed, rngFor } from '../random.js';
import { fit, HOUR, MINUTE, type ModelContext, type SignalModel } from '../model.js';

const OPEN = { key: 'manhole-open', blockMs: 24 * HOUR, probability: 0.03, minMs: 5 * MINUTE, maxMs: 40 * MINUTE };
const ASKEW = { key: 'manhole-askew', blockMs: 24 * HOUR, probability: 0.05, minMs: 30 * MINUTE, maxMs: 3 * HOUR };

export function createManholeCoverModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const restingTilt = p.uniform(0.2, 1.5);
  const deviceSeed = hashSeed(seed, deviceId);
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      let tilt = restingTilt + 0.4 * env.traffic(t) * Math.abs(noise.normal()) + noise.normal(0, 0.15);
      const open = episodeAt(deviceSeed, OPEN, t);
      const askew = episodeAt(deviceSeed, ASKEW, t);
      if (open) tilt = open.rng.uniform(25, 80) + noise.normal(0, 1);
      else if (askew) tilt = askew.rng.uniform(5, 12) + noise.normal(0, 0.2);
      return { tilt_deg: fit('manhole_cover', 'tilt_deg', tilt), open: open !== null };
    },
  };
}
