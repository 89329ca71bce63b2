// Air quality station: PM2.5 drifts with the city background (evening peak, rain washout),
// PM10 tracks it, NO2 follows traffic, ozone builds up on sunny afternoons.
import { bell } from '../environment.js';
import { rngFor } from '../random.js';
import { fit, type ModelContext, type SignalModel } from '../model.js';

export function createAirQualityModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const siteFactor = p.uniform(0.8, 1.25); // near a busy road or in a park
  const coarseRatio = p.uniform(1.4, 1.9); // PM10 / PM2.5
  const roadExposure = p.uniform(0.6, 1.3);
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const traffic = env.traffic(t);
      const pm25 = env.pm25(t) * siteFactor * (1 + noise.normal(0, 0.05)) + 8 * traffic;
      const pm10 = pm25 * coarseRatio + noise.normal(0, 4);
      const no2 = 15 + 55 * traffic * roadExposure + noise.normal(0, 4);
      const sun = env.daylight(t) * bell(env.hour(t), 15, 3);
      const o3 = 25 + 120 * sun * (1 - Math.min(0.6, env.wetness(t) * 0.1)) + noise.normal(0, 5);
      return {
        pm25: fit('air_quality', 'pm25', pm25),
        pm10: fit('air_quality', 'pm10', pm10),
        no2: fit('air_quality', 'no2', no2),
        o3: fit('air_quality', 'o3', o3),
      };
    },
  };
}
