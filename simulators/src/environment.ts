// City-wide state every model shares: local time of day (UTC+8), traffic rhythm,
// daylight, rain episodes and how wet the streets are, temperature and background PM2.5.
// Pure functions of (seed, time), so any device can ask about any instant.
import { episodeInBlock, smoothNoise, type EpisodeSpec } from './random.js';

export const UTC_OFFSET_HOURS = 8; // the demo city runs on China Standard Time
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Local hour of day in [0, 24). */
export function localHour(t: number): number {
  const h = (t / HOUR + UTC_OFFSET_HOURS) % 24;
  return h < 0 ? h + 24 : h;
}

/** Saturday or Sunday in local time. */
export function isWeekend(t: number): boolean {
  const day = new Date(t + UTC_OFFSET_HOURS * HOUR).getUTCDay();
  return day === 0 || day === 6;
}

/** A bell curve of height 1 centred on `centre` hours (wrapping round midnight). */
export function bell(hour: number, centre: number, width: number): number {
  let d = Math.abs(hour - centre);
  if (d > 12) d = 24 - d;
  return Math.exp(-0.5 * (d / width) ** 2);
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const RAIN: EpisodeSpec = { key: 'rain', blockMs: 8 * HOUR, probability: 0.35, minMs: 25 * MINUTE, maxMs: 3 * HOUR };
interface RainEpisode {
  start: number;
  end: number;
  peak: number; // mm/h at the height of the shower
}

const WET_TAU_MIN = 40; // how fast streets drain: 1/e after 40 minutes
const WET_STEP_MIN = 2;

export class Environment {
  private wetCache = { minute: Number.NaN, value: 0 };
  private readonly rainCache = new Map<number, RainEpisode | null>();

  constructor(readonly seed: number) {}

  hour(t: number): number {
    return localHour(t);
  }

  /** Traffic demand 0..1: rush hours near 08:00 and 18:00, quiet from midnight to 05:00. */
  traffic(t: number): number {
    const h = localHour(t);
    const weekend = isWeekend(t);
    const day = 0.5 * sigmoid((h - 6.5) * 2) * sigmoid((22 - h) * 1.2);
    const rush = 0.5 * bell(h, 8, 1.1) + 0.45 * bell(h, 18, 1.4);
    const drift = 0.04 * smoothNoise(this.seed, 'traffic', t, 6 * HOUR);
    return clamp01(0.05 + day * (weekend ? 0.9 : 1) + rush * (weekend ? 0.45 : 1) + drift);
  }

  /** 1 in full daylight, 0 at night; dawn about 06:00, dusk about 18:45. */
  daylight(t: number): number {
    const h = localHour(t);
    return clamp01(h - 5.5) * clamp01(19.25 - h);
  }

  /** City-wide rainfall intensity in mm/h (0 between episodes). */
  rain(t: number): number {
    for (const ep of this.rainEpisodes(t, t)) if (t >= ep.start && t < ep.end) return this.intensity(ep, t);
    return 0;
  }

  raining(t: number): boolean {
    return this.rain(t) > 0.2;
  }

  /** Water on the streets in mm: recent rain, draining away exponentially. */
  wetness(t: number): number {
    const minute = Math.floor(t / MINUTE);
    if (minute === this.wetCache.minute) return this.wetCache.value;
    const now = minute * MINUTE;
    const horizon = WET_TAU_MIN * 5 * MINUTE;
    let sum = 0;
    for (const ep of this.rainEpisodes(now - horizon, now)) {
      // integrate only over the part of the episode inside the horizon
      const first = Math.max(0, Math.ceil((now - Math.min(ep.end, now)) / (WET_STEP_MIN * MINUTE)));
      const last = Math.min(horizon, now - ep.start) / (WET_STEP_MIN * MINUTE);
      for (let i = first; i <= last; i++) {
        const s = i * WET_STEP_MIN;
        const at = now - s * MINUTE;
        if (at >= ep.start && at < ep.end) sum += (this.intensity(ep, at) / 60) * WET_STEP_MIN * Math.exp(-s / WET_TAU_MIN);
      }
    }
    this.wetCache = { minute, value: sum };
    return sum;
  }

  private intensity(ep: RainEpisode, t: number): number {
    const phase = (t - ep.start) / (ep.end - ep.start);
    const shape = Math.sin(Math.PI * phase) ** 1.5;
    const gusts = 1 + 0.35 * smoothNoise(this.seed, 'rain-gust', t, 6 * MINUTE);
    return Math.max(0, ep.peak * shape * gusts);
  }

  /** Rain episodes that overlap [from, to]. */
  private rainEpisodes(from: number, to: number): RainEpisode[] {
    const found: RainEpisode[] = [];
    for (let b = Math.floor(from / RAIN.blockMs) - 1; b <= Math.floor(to / RAIN.blockMs); b++) {
      const ep = this.rainBlock(b);
      if (ep && ep.end > from && ep.start <= to) found.push(ep);
    }
    return found;
  }

  private rainBlock(block: number): RainEpisode | null {
    const cached = this.rainCache.get(block);
    if (cached !== undefined) return cached;
    const ep = episodeInBlock(this.seed, RAIN, block);
    let episode: RainEpisode | null = null;
    if (ep) {
      const r = ep.rng.next();
      const peak = r < 0.6 ? ep.rng.uniform(1.5, 6) : r < 0.9 ? ep.rng.uniform(6, 18) : ep.rng.uniform(18, 60);
      episode = { start: ep.start, end: ep.end, peak };
    }
    if (this.rainCache.size > 256) this.rainCache.clear();
    this.rainCache.set(block, episode);
    return episode;
  }

  /** Air temperature in °C: coolest near 05:00, warmest near 14:30, cooled by rain. */
  temperature(t: number): number {
    const h = localHour(t);
    const mean = 24 + 4 * smoothNoise(this.seed, 'temp-mean', t, 36 * HOUR);
    const amplitude = 4.5 + 1.5 * smoothNoise(this.seed, 'temp-amp', t, 48 * HOUR);
    const cycle = Math.cos((2 * Math.PI * (h - 14.5)) / 24);
    return mean + amplitude * cycle - Math.min(4, this.wetness(t) * 0.3);
  }

  /** Background PM2.5 in µg/m³: slow drift, evening and morning peaks, washed out by rain. */
  pm25(t: number): number {
    const h = localHour(t);
    const base = 35 + 15 * smoothNoise(this.seed, 'pm25', t, 18 * HOUR);
    const peaks = 18 * bell(h, 20.5, 2) + 8 * bell(h, 8, 1.2);
    const washout = 1 - Math.min(0.5, this.wetness(t) * 0.05);
    return Math.max(3, (base + peaks) * washout);
  }
}
