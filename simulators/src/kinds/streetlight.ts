// Streetlight: on from dusk to dawn at 60-150 W (dimmed after 01:00), off and drawing 0 W by day.
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

export function createStreetlightModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const ratedW = p.uniform(90, 150);
  const switchAt = p.uniform(0.4, 0.6); // photocell threshold on the daylight scale
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const on = env.daylight(t) < switchAt;
      if (!on) return { on: false, power_w: 0 };
      const h = env.hour(t);
      const dimmed = h >= 1 && h < 5 ? 0.7 : 1;
      const power = Math.min(150, Math.max(60, ratedW * dimmed * (1 + noise.normal(0, 0.02))));
      return { on: true, power_w: fit('streetlight', 'power_w', power) };
    },
  };
}
