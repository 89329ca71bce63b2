// Methane detector (in a utility tunnel or near a gas main): 0-3 %LEL with slow drift,
// and rare leak episodes that swell to 8-35 %LEL and fade.
import { episodeAt, hashSeed, rngFor, smoothNoise } from '../random.js';
import { fit, HOUR, MINUTE, type ModelContext, type SignalModel } from '../model.js';

const LEAK = { key: 'gas-leak', blockMs: 12 * HOUR, probability: 0.03, minMs: 10 * MINUTE, maxMs: 45 * MINUTE };

export function createGasModel({ deviceId, seed }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const baseline = p.uniform(0.3, 1.8);
  const deviceSeed = hashSeed(seed, deviceId);
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      let ch4 = baseline + 0.6 * smoothNoise(deviceSeed, 'drift', t, 3 * HOUR) + Math.abs(noise.normal(0, 0.15));
      const leak = episodeAt(deviceSeed, LEAK, t);
      if (leak) {
        const peak = leak.rng.uniform(8, 35);
        ch4 += peak * Math.sin((Math.PI * (t - leak.start)) / (leak.end - leak.start)) * (1 + noise.normal(0, 0.05));
      }
      return { ch4: fit('gas', 'ch4', ch4, 2) };
    },
  };
}
