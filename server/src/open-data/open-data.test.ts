// Proves the open data's bounds and arithmetic without a server: one valid UTC day per request (each
// refusal by its code), the per-address limit (429 after the limit, others unaffected, a Retry-After,
// a bounded table), the bounded LRU, the cache of past days (computed once) and of today (recomputed
// after freshMs), the queue that refuses rather than piles up, a cell's worst condition from its
// hour's min and max, and each cell's centroid inside it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, pointInArea, type Alert } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import type { AlertService } from '../alerts/service.js';
import { HttpError } from '../errors.js';
import type { HourlyAggregate, HourlyAggregatesQuery, TimeSeriesStore } from '../stores/store.js';
import { HOUR_MS, parseOpenDay } from './dates.js';
import { Lru } from './lru.js';
import { centroid, citySlug } from './ngsi-ld.js';
import { AddressLimiter } from './rate-limit.js';
import { OpenDataService, worstOf } from './service.js';

const NOW = Date.parse('2026-06-15T10:30:00Z');
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as HttpError).code;
  }
  return 'no error';
};

describe('the day of a request', () => {
  it('defaults to yesterday, a complete UTC day', () => {
    expect(parseOpenDay(undefined, NOW)).toEqual({ date: '2026-06-14', from: Date.parse('2026-06-14T00:00:00Z'), to: Date.parse('2026-06-15T00:00:00Z'), complete: true });
  });
  it('takes today, incomplete', () => {
    expect(parseOpenDay('2026-06-15', NOW)).toMatchObject({ from: Date.parse('2026-06-15T00:00:00Z'), complete: false });
  });
  it('refuses what is not a real day, by code', () => {
    for (const bad of ['2026-6-1', '20260601', '2026-06-01T00:00:00Z', '2026-06-01,2026-06-02', 'yesterday', '']) {
      if (bad === '') continue; // empty is the default
      expect(code(() => parseOpenDay(bad, NOW)), bad).toBe('CG_OPEN_DATE_INVALID');
    }
    expect(code(() => parseOpenDay('2026-02-30', NOW))).toBe('CG_OPEN_DATE_INVALID');
    expect(code(() => parseOpenDay('2026-13-01', NOW))).toBe('CG_OPEN_DATE_INVALID');
    expect(code(() => parseOpenDay(['2026-06-01', '2026-06-02'], NOW))).toBe('CG_OPEN_DATE_INVALID');
  });
  it('refuses days after today and too far back', () => {
    expect(code(() => parseOpenDay('2026-06-16', NOW))).toBe('CG_OPEN_DATE_OUT_OF_RANGE');
    expect(code(() => parseOpenDay('2025-06-01', NOW, 366))).toBe('CG_OPEN_DATE_OUT_OF_RANGE');
    expect(code(() => parseOpenDay('2025-06-15', NOW, 366))).toBe('no error');
  });
});

describe('the per-address limit', () => {
  it('refuses past the limit with a Retry-After, and other addresses still pass', () => {
    const l = new AddressLimiter({ limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(l.take('10.0.0.1', NOW).ok).toBe(true);
    const refused = l.take('10.0.0.1', NOW + 15_000);
    expect(refused).toEqual({ ok: false, retryAfterS: 45 });
    expect(l.take('10.0.0.2', NOW + 15_000).ok).toBe(true);
    expect(l.take('10.0.0.1', NOW + 60_000).ok).toBe(true); // a new window
  });
  it('keeps a bounded table of hashed addresses', () => {
    const l = new AddressLimiter({ limit: 3, windowMs: 60_000, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) l.take(`10.0.${i >> 8}.${i & 255}`, NOW + i);
    expect(l.size).toBeLessThanOrEqual(101);
    expect(JSON.stringify([...(l as unknown as { windows: Map<string, unknown> }).windows.keys()])).not.toContain('10.0.');
  });
});

describe('the LRU', () => {
  it('forgets the least recently used first', () => {
    const c = new Lru<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
  });
  it('holds at most maxWeight in all, and nothing heavier than that alone', () => {
    const c = new Lru<string, number>(10, 100);
    c.set('a', 1, 60);
    c.set('b', 2, 30);
    c.set('c', 3, 20); // 110: a goes
    expect([c.get('a'), c.get('b'), c.get('c'), c.weight]).toEqual([undefined, 2, 3, 50]);
    c.set('huge', 4, 101);
    expect([c.get('huge'), c.size, c.weight]).toEqual([undefined, 2, 50]);
    c.set('b', 5, 10); // re-weighed
    expect(c.weight).toBe(30);
  });
});

describe('conditions from an hour\'s min and max', () => {
  it('uses the worst side of each metric', () => {
    expect(worstOf(CATALOGUE.water_level.level_cm!, 5, 31)).toBe('alarm');
    expect(worstOf(CATALOGUE.water_level.level_cm!, 5, 16)).toBe('warn');
    expect(worstOf(CATALOGUE.traffic.speed!, 7, 60)).toBe('alarm'); // low is bad
    expect(worstOf(CATALOGUE.bridge.strain_ue!, -1600, 10)).toBe('alarm'); // |value|
    expect(worstOf(CATALOGUE.manhole_cover.open!, 0, 1)).toBe('alarm');
    expect(worstOf(CATALOGUE.manhole_cover.open!, 0, 0)).toBe('ok');
    expect(worstOf(CATALOGUE.streetlight.on!, 0, 1)).toBe('ok');
  });
});

const demo = loadCity(join(import.meta.dirname, '..', '..', '..', 'config', 'demo-city'));

describe('the cells on the map', () => {
  it('puts each cell\'s centroid inside the cell, and names the city in URNs', () => {
    for (const cell of demo.cells) expect(pointInArea(centroid(cell), cell.feature.geometry), cell.id).toBe(true);
    expect(citySlug(demo)).toBe('wuhan-demo-city');
  });
});

describe('the cache and the queue', () => {
  function fakes() {
    const calls: HourlyAggregatesQuery[] = [];
    let gate: Promise<void> = Promise.resolve();
    const store = {
      hourlyAggregates: async (q: HourlyAggregatesQuery): Promise<HourlyAggregate[]> => {
        calls.push(q);
        await gate;
        const cell = demo.cells[0]!.id;
        return [{ hour: q.from, grid: cell, metric: 'level_cm', min: 1, mean: 2, max: 3, count: 4 }];
      },
    } as unknown as TimeSeriesStore;
    const alerts = { search: () => ({ total: 0, items: [] }), list: (): Alert[] => [] } as unknown as AlertService;
    let now = NOW;
    const service = new OpenDataService({ city: demo, store, alerts, now: () => now, freshMs: 60_000, cachedDays: 2 });
    return { calls, service, tick: (ms: number) => (now += ms), hold: () => { let open!: () => void; gate = new Promise((r) => (open = r)); return () => open(); } };
  }

  it('computes a past day once, an hour at a time, and today again after freshMs', async () => {
    const { calls, service, tick } = fakes();
    const past = parseOpenDay('2026-06-14', NOW);
    const a = await service.day(past);
    expect(calls).toHaveLength(24);
    expect(calls.every((q) => q.to - q.from === HOUR_MS)).toBe(true);
    expect(a.metrics).toHaveLength(24);
    expect(a.metrics[0]).toMatchObject({ hour: past.from, metric: 'level_cm', unit: 'cm', kind: 'water_level', min: 1, mean: 2, max: 3, count: 4 });
    await service.day(past);
    expect(service.computations).toBe(1);
    const today = parseOpenDay('2026-06-15', NOW);
    await service.day(today);
    await service.day(today);
    expect(service.computations).toBe(2);
    tick(61_000);
    await service.day(today);
    expect(service.computations).toBe(3);
  });

  it('keeps no more rows than cachedRows: a day over the cap is computed again', async () => {
    const store = { hourlyAggregates: async (q: HourlyAggregatesQuery) => [{ hour: q.from, grid: demo.cells[0]!.id, metric: 'level_cm', min: 1, mean: 2, max: 3, count: 4 }] } as unknown as TimeSeriesStore;
    const alerts = { search: () => ({ total: 0, items: [] }), list: () => [] } as unknown as AlertService;
    const small = new OpenDataService({ city: demo, store, alerts, now: () => NOW, cachedRows: 30 });
    const d1 = parseOpenDay('2026-06-01', NOW);
    const d2 = parseOpenDay('2026-06-02', NOW);
    await small.day(d1); // 24 rows + 1
    await small.day(d1);
    expect(small.computations).toBe(1);
    await small.day(d2); // 50 > 30: d1 goes
    await small.day(d1);
    expect(small.computations).toBe(3);
  });

  it('refuses with 429 rather than queueing more than a few computations', async () => {
    const { service, hold } = fakes();
    const open = hold();
    const days = ['2026-06-10', '2026-06-11', '2026-06-12', '2026-06-13'].map((d) => service.day(parseOpenDay(d, NOW)));
    let refused: HttpError | null = null;
    try {
      await service.day(parseOpenDay('2026-06-09', NOW));
    } catch (err) {
      refused = err as HttpError;
    }
    expect(refused?.code).toBe('CG_OPEN_RATE_LIMITED');
    expect(refused?.headers['Retry-After']).toBe('5');
    // the same day again (still in the cache of 2) waits for the same computation, it is not refused
    await expect(Promise.race([service.day(parseOpenDay('2026-06-13', NOW)).then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 50))])).resolves.toBe('waiting');
    open();
    await Promise.all(days);
    expect(service.computations).toBe(4);
  });
});
