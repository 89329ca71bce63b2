// Rain gauge: the city-wide rain episodes, with a local factor and measurement noise; 0 when dry.
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

export function createRainfallModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const localFactor = p.uniform(0.75, 1.25); // showers are patchy
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const rain = env.rain(t);
      const mm = rain > 0 ? rain * localFactor * (1 + noise.normal(0, 0.08)) : 0;
      return { mm_h: fit('rainfall', 'mm_h', mm) };
    },
  };
}
