// Bridge health monitor: strain and vibration rise with the traffic crossing it and
// with heavy lorries; strain also breathes with the temperature.
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

export function createBridgeModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const deadStrain = p.uniform(120, 260); // µε from the deck's own weight
  const liveGain = p.uniform(250, 400); // µε at full traffic
  const vibrationGain = p.uniform(3, 5); // mm/s at full traffic
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const traffic = env.traffic(t) * (1 + noise.normal(0, 0.1));
      const lorry = noise.chance(0.03 * env.traffic(t)) ? noise.uniform(0.4, 1) : 0;
      const strain = deadStrain + liveGain * traffic + 350 * lorry + 6 * (env.temperature(t) - 20) + noise.normal(0, 15);
      const vibration = 0.3 + vibrationGain * traffic + 7 * lorry + Math.abs(noise.normal(0, 0.3));
      return {
        strain_ue: fit('bridge', 'strain_ue', strain, 0),
        vibration_mm_s: fit('bridge', 'vibration_mm_s', vibration, 2),
      };
    },
  };
}
