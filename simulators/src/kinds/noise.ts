// Sound level meter: quiet nights, busier days that follow traffic, rain hiss, rare short spikes.
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

export function createNoiseModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const siteOffset = p.uniform(-4, 6); // a side street is quieter than a trunk road
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      let laeq = 44 + siteOffset + 20 * env.traffic(t) + noise.normal(0, 1.5);
      if (env.raining(t)) laeq += 3;
      if (noise.chance(0.01)) laeq += noise.uniform(8, 15); // a horn, a siren, a pneumatic drill
      return { laeq: fit('noise', 'laeq', laeq) };
    },
  };
}
