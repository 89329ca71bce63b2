// A synthetic city for load tests and benchmarks; the generator lives in scripts/synthetic-city-lib.ts
// (also behind `npm run city:synthetic`). This wrapper always validates and returns the loaded city.
import type { City } from '@citygrid/contract/node';
import { writeSyntheticCity as write, type SyntheticCityOptions } from '../../scripts/synthetic-city-lib.js';

export type { SyntheticCityOptions };

/** Writes the city into a new temp dir (or `out`) and validates it with loadCity (throws on any problem). */
export async function writeSyntheticCity(o: SyntheticCityOptions = {}): Promise<{ dir: string; city: City; remove(): void }> {
  const r = await write({ ...o, validate: true });
  return { dir: r.dir, city: r.city!, remove: r.remove };
}
