// Water level over the road surface: dry most of the time; rises with rain in low-lying
// spots (underpasses) and drains after. Mostly below 15 cm, rarely above 30 cm.
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

const CM_PER_MM = 1.6; // ponding: cm of standing water per mm of undrained rain

export function createWaterLevelModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const lowLying = p.chance(0.25);
  const susceptibility = lowLying ? p.uniform(1.0, 2.2) : p.uniform(0.2, 0.8);
  const dryLevel = p.uniform(0, 1.5); // a puddle or sensor offset when dry
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const level = dryLevel + susceptibility * CM_PER_MM * env.wetness(t) + noise.normal(0, 0.3);
      return { level_cm: fit('water_level', 'level_cm', level) };
    },
  };
}
