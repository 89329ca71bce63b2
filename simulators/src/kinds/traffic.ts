// Traffic detector: flow follows the city's rush hours; speed falls and occupancy rises
// as the road nears saturation; rare incidents bring it almost to a standstill.
import { episodeAt, hashSeed, rngFor } from '../random.js';
import { fit, HOUR, MINUTE, type ModelContext, type SignalModel } from '../model.js';

const INCIDENT = { key: 'traffic-incident', blockMs: 24 * HOUR, probability: 0.08, minMs: 10 * MINUTE, maxMs: 40 * MINUTE };

export function createTrafficModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const capacity = p.uniform(30, 80); // veh/min the road carries when saturated
  const load = p.uniform(0.55, 1); // how close the rush hour comes to saturation
  const freeSpeed = p.uniform(40, 70); // km/h on an empty road
  const noise = rngFor(seed, deviceId, 'noise');
  const deviceSeed = hashSeed(seed, deviceId);

  return {
    sample(t) {
      const x = Math.min(1, Math.max(0, env.traffic(t) * load * (1 + noise.normal(0, 0.06))));
      const rainSlowdown = 1 - Math.min(0.2, env.rain(t) * 0.01);
      let flow = capacity * x + noise.normal(0, 1 + 0.04 * capacity * x);
      let speed = freeSpeed * (1 - 0.68 * x ** 3) * rainSlowdown + noise.normal(0, 2);
      let occupancy = 4 + 62 * x ** 1.8 + noise.normal(0, 2);
      if (episodeAt(deviceSeed, INCIDENT, t)) {
        flow *= 0.3;
        speed = noise.uniform(3, 9);
        occupancy = noise.uniform(85, 97);
      }
      return {
        flow: fit('traffic', 'flow', flow, 0),
        speed: fit('traffic', 'speed', speed),
        occupancy: fit('traffic', 'occupancy', occupancy),
      };
    },
  };
}
