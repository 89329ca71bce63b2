// Proves the optional `public` flag of a device (open data): the demo city's devices.yaml, written
// before the flag existed, still loads as it is; `public: true` is taken; anything but a boolean is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { deviceConfigSchema } from './city.js';
import { loadCity } from './node/city-loader.js';

const DEMO = join(import.meta.dirname, '..', '..', 'config', 'demo-city');

describe('a device\'s public flag', () => {
  it('leaves the demo city\'s devices.yaml loading as it is, every device not public', () => {
    const raw = load(readFileSync(join(DEMO, 'devices.yaml'), 'utf8')) as Record<string, unknown>[];
    expect(raw.length).toBeGreaterThan(400);
    expect(raw.some((d) => 'public' in d)).toBe(false);
    for (const d of raw) expect(deviceConfigSchema.safeParse(d).success, String(d.id)).toBe(true);
    const city = loadCity(DEMO);
    expect(city.devices).toHaveLength(raw.length);
    expect(city.devices.filter((d) => d.public)).toEqual([]);
  });

  it('takes true or false and refuses anything else', () => {
    const raw = (load(readFileSync(join(DEMO, 'devices.yaml'), 'utf8')) as Record<string, unknown>[])[0]!;
    expect(deviceConfigSchema.parse({ ...raw, public: true }).public).toBe(true);
    expect(deviceConfigSchema.parse({ ...raw, public: false }).public).toBe(false);
    for (const bad of ['yes', 1, null]) expect(deviceConfigSchema.safeParse({ ...raw, public: bad }).success, String(bad)).toBe(false);
  });
});
