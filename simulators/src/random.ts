// Seeded randomness for the signal models: a small fast PRNG, string hashing, and
// hash-based random access by time block (so any instant can be evaluated directly).

/** A seeded pseudo-random stream (mulberry32): `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson-distributed count with mean `lambda` (Knuth; fine for the small means used here). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** `k` distinct items in random order (Fisher-Yates). */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, k);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** Hashes strings and numbers into a 32-bit seed (FNV-1a over the joined text). */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function rngFor(...parts: (string | number)[]): Rng {
  return new Rng(hashSeed(...parts));
}

/**
 * Smooth noise in [-1, 1] that drifts over `periodMs`: random values on a lattice
 * of that spacing, joined with cosine interpolation. Pure: same inputs, same value.
 */
export function smoothNoise(seed: number, key: string, t: number, periodMs: number): number {
  const x = t / periodMs;
  const i = Math.floor(x);
  const f = x - i;
  const a = rngFor(seed, key, i).uniform(-1, 1);
  const b = rngFor(seed, key, i + 1).uniform(-1, 1);
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  return a * (1 - w) + b * w;
}

export interface Episode {
  start: number;
  end: number;
  /** Seeded stream for the episode's own properties (peak, kind of fault). */
  rng: Rng;
}

export interface EpisodeSpec {
  key: string;
  blockMs: number;
  /** Chance that a block holds one episode. */
  probability: number;
  minMs: number;
  maxMs: number;
}

/** The episode in this block, if any; episodes never span more than one following block. */
export function episodeInBlock(seed: number, spec: EpisodeSpec, block: number): Episode | null {
  const rng = rngFor(seed, spec.key, block);
  if (!rng.chance(spec.probability)) return null;
  const start = block * spec.blockMs + rng.uniform(0, spec.blockMs);
  const duration = rng.uniform(spec.minMs, Math.min(spec.maxMs, spec.blockMs));
  return { start, end: start + duration, rng };
}

/** The rare episode (rain, gas leak, open cover) in progress at `t`, or null. */
export function episodeAt(seed: number, spec: EpisodeSpec, t: number): Episode | null {
  const block = Math.floor(t / spec.blockMs);
  for (const b of [block, block - 1]) {
    const ep = episodeInBlock(seed, spec, b);
    if (ep && t >= ep.start && t < ep.end) return ep;
  }
  return null;
}
