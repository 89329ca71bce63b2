// Weather station: the city's temperature cycle with a local offset; humidity rises as it
// cools and when it rains; light winds, a little stronger by day and in storms.
import { rngFor, smoothNoise, hashSeed } from '../random.js';
import { fit, HOUR, type ModelContext, type SignalModel } from '../model.js';

export function createWeatherModel({ deviceId, seed, env }: ModelContext): SignalModel {
  const p = rngFor(seed, deviceId, 'params');
  const offset = p.uniform(-0.8, 0.8); // a rooftop is warmer than a park
  const exposure = p.uniform(0.7, 1.3); // how open the site is to the wind
  const deviceSeed = hashSeed(seed, deviceId);
  const noise = rngFor(seed, deviceId, 'noise');

  return {
    sample(t) {
      const temp = env.temperature(t) + offset + noise.normal(0, 0.2);
      const wet = Math.min(1, env.wetness(t) / 3);
      const humidity = 65 - 2.8 * (temp - 24) + 25 * wet + noise.normal(0, 2);
      const windBase = 2 + 1.5 * smoothNoise(seed, 'wind', t, 3 * HOUR) + 0.3 * smoothNoise(deviceSeed, 'gust', t, 0.25 * HOUR);
      const wind = (windBase + 0.8 * env.daylight(t) + 0.08 * env.rain(t)) * exposure + Math.abs(noise.normal(0, 0.5));
      return {
        temp_c: fit('weather', 'temp_c', temp),
        humidity_pct: fit('weather', 'humidity_pct', Math.min(100, Math.max(15, humidity)), 0),
        wind_m_s: fit('weather', 'wind_m_s', wind),
      };
    },
  };
}
