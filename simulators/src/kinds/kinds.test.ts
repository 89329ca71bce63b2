// Proves every sensor model stays inside the catalogue's ranges with the right types for 48 h, passes parseTelemetry, and is deterministic for a seed.
import { CATALOGUE, SENSOR_KINDS, parseTelemetry } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { Environment } from '../environment.js';
import { createModel } from './index.js';

const START = Date.UTC(2026, 4, 4, 16); // Tuesday 2026-05-05 00:00 local time (UTC+8)
const MINUTE = 60_000;

describe.each(SENSOR_KINDS)('%s model', (kind) => {
  it('stays in range with the right types across 48 h at 1-minute steps', () => {
    const env = new Environment(7);
    const specs = CATALOGUE[kind];
    for (const deviceId of [`${kind.replace('_', '-')}-1`, `${kind.replace('_', '-')}-2`, `${kind.replace('_', '-')}-3`]) {
      const model = createModel(kind, { deviceId, seed: 7, env });
      for (let t = START; t < START + 48 * 60 * MINUTE; t += MINUTE) {
        const metrics = model.sample(t);
        expect(Object.keys(metrics).sort()).toEqual(Object.keys(specs).sort());
        for (const [name, value] of Object.entries(metrics)) {
          const spec = specs[name]!;
          if (spec.type === 'boolean') {
            if (typeof value !== 'boolean') expect.fail(`${kind}.${name} = ${String(value)} is not a boolean`);
          } else if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min || value > spec.max) {
            expect.fail(`${kind}.${name} = ${String(value)} at ${new Date(t).toISOString()} is outside ${spec.min}..${spec.max}`);
          }
        }
      }
    }
  });

  it('produces telemetry that parseTelemetry accepts', () => {
    const model = createModel(kind, { deviceId: 'dev-1', seed: 1, env: new Environment(1) });
    for (let i = 0; i < 50; i++) {
      const ts = START + i * 17 * MINUTE;
      const payload = JSON.stringify({ ts, metrics: model.sample(ts), seq: i });
      const [reading] = parseTelemetry(payload, 'dev-1', kind, ts);
      expect(reading?.seq).toBe(i);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const run = (seed: number) => {
      const model = createModel(kind, { deviceId: 'dev-1', seed, env: new Environment(seed) });
      return Array.from({ length: 200 }, (_, i) => model.sample(START + i * 7 * MINUTE));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});
