// Proves the REST API (through buildApp with supertest, no port) serves devices, history, grid status, rejections and metrics to a signed-in user, and renders errors by code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { hashSync } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlerting, type Alerting } from '../alerts/index.js';
import { createAuth, type Auth } from '../auth/index.js';
import { stringify } from 'yaml';
import type { BucketPoint, HealthResponse, Rejection } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DeviceRegistry } from '../live/device-registry.js';
import { RejectionLog } from '../live/rejection-log.js';
import { createMetrics } from '../metrics.js';
import { SqliteStore } from '../stores/sqlite.store.js';
import type { StoredReading } from '../stores/store.js';
import { buildApp, type AppDeps } from './app.js';

const SECRET_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
const T0 = Date.UTC(2026, 4, 1, 8, 0);
const MIN = 60_000;

function cell(id: string, district: string, lng: number) {
  const ring = [[lng, 30], [lng + 0.01, 30], [lng + 0.01, 30.01], [lng, 30.01], [lng, 30]];
  return { type: 'Feature', properties: { id, name: `Cell ${id}`, district }, geometry: { type: 'Polygon', coordinates: [ring] } };
}
const device = (id: string, kind: string, lng: number) => ({ id, kind, location: [lng + 0.005, 30.005], secret_hash: SECRET_HASH });

const HEALTH: HealthResponse = {
  status: 'ok', uptimeS: 1,
  broker: { status: 'ok', mode: 'embedded', connected: true },
  store: { status: 'ok', kind: 'sqlite' },
  rules: { status: 'not_configured' },
  ingest: { received: 0, stored: 0, rejected: 0 },
};

let dir: string;
let alerting: Alerting;
let store: SqliteStore;
let app: Express;
let deps: AppDeps;
let rejections: RejectionLog;
let auth: Auth;
let token: string;
/** Requests as a signed-in admin. */
const api = {
  get: (url: string) => request(app).get(url).set('authorization', `Bearer ${token}`),
  post: (url: string) => request(app).post(url).set('authorization', `Bearer ${token}`),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'citygrid-app-'));
  const cityDir = join(dir, 'city');
  mkdirSync(cityDir);
  writeFileSync(join(cityDir, 'grid.geojson'), JSON.stringify({
    type: 'FeatureCollection', features: [cell('c-a', 'east', 114.0), cell('c-b', 'west', 114.01), cell('c-empty', 'west', 114.02)],
  }));
  writeFileSync(join(cityDir, 'devices.yaml'), stringify([
    device('wl-1', 'water_level', 114.0), device('mh-1', 'manhole_cover', 114.001), device('tr-1', 'traffic', 114.01), device('cam-1', 'camera', 114.011),
  ]));
  writeFileSync(join(cityDir, 'people.yaml'), stringify({ users: [{ username: 'tester', name: 'Tester', role: 'admin', password_hash: hashSync('pw', 4) }] }));
  const city = loadCity(cityDir);
  store = new SqliteStore({ path: join(dir, 'data', 'citygrid.db') });
  const registry = new DeviceRegistry(city);
  rejections = new RejectionLog();

  // what the pipeline's store step does for accepted readings
  const tags = (id: string) => ({ kind: city.devicesById.get(id)!.kind, grid: city.devicesById.get(id)!.grid, district: city.devicesById.get(id)!.district });
  const wl: StoredReading[] = [0, 10, 20, 70, 80, 130].map((s, i) => ({ device: 'wl-1', ts: T0 + s * 1000, metrics: { level_cm: 10 + i * 5 }, ...tags('wl-1') }));
  const mh: StoredReading[] = [{ device: 'mh-1', ts: T0, metrics: { open: true, tilt_deg: 2 }, ...tags('mh-1') }];
  store.writeReadings([...wl, ...mh]);
  await store.flush();
  registry.applyReadings('wl-1', wl, T0 + 131_000);
  registry.applyReadings('mh-1', mh, T0 + 1000);
  registry.setStatus('mh-1', false);
  registry.setStatus('tr-1', true);

  const r = (ts: number, device: string | null, reason: Rejection['reason'], by: Rejection['by'] = 'server'): Rejection =>
    ({ ts, device, topic: device ? `city/v1/devices/${device}/telemetry` : null, reason, message: `refused ${reason}`, by });
  rejections.record(r(T0, 'wl-1', 'out_of_range'));
  rejections.record(r(T0 + 1, 'tr-1', 'unknown_metric'));
  rejections.record({ ...r(T0 + 2, 'wl-1', 'out_of_range'), seq: 17 });
  rejections.record(r(T0 + 3, 'nobody', 'unknown_device', 'broker'));

  alerting = startAlerting({ city, dataDir: join(dir, 'data'), logger: pino({ level: 'silent' }), onEvent: () => undefined });
  auth = createAuth({ city, dataDir: join(dir, 'data'), secret: 'app-test-secret-that-is-long-enough-0123' });
  token = (await auth.tokens.issue({ username: 'tester', role: 'admin' })).token;
  deps = {
    city, alerting, registry, store, rejections, auth,
    health: () => HEALTH,
    metricsRegistry: createMetrics().registry,
    logger: pino({ level: 'silent' }),
    webDist: null,
  };
  app = buildApp(deps);
});
afterAll(async () => {
  alerting.close();
  auth.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function expectError(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

describe('GET /api/devices', () => {
  it('lists every device with its latest values, online state and condition', async () => {
    const res = await api.get('/api/devices').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const byId = new Map((res.body.devices as { id: string }[]).map((d) => [d.id, d]));
    expect([...byId.keys()].sort()).toEqual(['cam-1', 'mh-1', 'tr-1', 'wl-1']);
    expect(byId.get('wl-1')).toMatchObject({
      kind: 'water_level', grid: 'c-a', district: 'east', online: true, lastSeen: T0 + 131_000,
      latest: { level_cm: { value: 35, ts: T0 + 130_000 } }, condition: 'alarm',
    });
    expect(byId.get('mh-1')).toMatchObject({ online: false, latest: { open: { value: true, ts: T0 } }, condition: 'alarm' });
    expect(byId.get('cam-1')).toMatchObject({ online: false, lastSeen: null, latest: {} });
  });

  it('filters by grid, district and kind', async () => {
    const ids = async (query: string) => ((await api.get(`/api/devices?${query}`).expect(200)).body.devices as { id: string }[]).map((d) => d.id).sort();
    expect(await ids('grid=c-a')).toEqual(['mh-1', 'wl-1']);
    expect(await ids('district=west')).toEqual(['cam-1', 'tr-1']);
    expect(await ids('kind=camera')).toEqual(['cam-1']);
    expect(await ids('grid=c-empty')).toEqual([]);
  });

  it('GET /api/devices/:id returns one device, or 404 CG_DEVICE_NOT_FOUND', async () => {
    expect((await api.get('/api/devices/tr-1').expect(200)).body).toMatchObject({ id: 'tr-1', online: true });
    expectError(await api.get('/api/devices/nope-1'), 404, 'CG_DEVICE_NOT_FOUND');
  });
});

describe('GET /api/devices/:id/readings', () => {
  const url = (query: string, id = 'wl-1') => `/api/devices/${id}/readings?${query}`;

  it('returns buckets with step, aligned and aggregated, with the unit', async () => {
    const res = await api.get(url(`metric=level_cm&from=${T0}&to=${T0 + 3 * MIN}&step=1m`)).expect(200);
    expect(res.body).toMatchObject({ device: 'wl-1', from: T0, to: T0 + 3 * MIN, step: MIN });
    expect(res.body.series).toHaveLength(1);
    expect(res.body.series[0]).toMatchObject({ metric: 'level_cm', unit: 'cm' });
    expect(res.body.series[0].points as BucketPoint[]).toEqual([
      { ts: T0, mean: 15, min: 10, max: 20, count: 3 },
      { ts: T0 + MIN, mean: 27.5, min: 25, max: 30, count: 2 },
      { ts: T0 + 2 * MIN, mean: 35, min: 35, max: 35, count: 1 },
    ]);
  });

  it('returns raw points without step, every metric when none is named, and takes ISO dates', async () => {
    const from = encodeURIComponent('2026-05-01T16:00:00+08:00');
    const res = await api.get(url(`from=${from}&to=${T0 + 15_000}`)).expect(200);
    expect(res.body.step).toBeNull();
    expect(res.body.from).toBe(T0);
    expect(res.body.series).toEqual([{ metric: 'level_cm', unit: 'cm', points: [{ ts: T0, value: 10 }, { ts: T0 + 10_000, value: 15 }] }]);
    const mh = await api.get(url(`from=${T0}&to=${T0 + MIN}`, 'mh-1')).expect(200);
    expect(mh.body.series.map((s: { metric: string }) => s.metric).sort()).toEqual(['open', 'tilt_deg']);
  });

  it('400 CG_METRIC_UNKNOWN for a metric the device kind does not have', async () => {
    const res = await api.get(url('metric=pm25'));
    expectError(res, 400, 'CG_METRIC_UNKNOWN');
    expect(res.body.error.message).toContain('pm25');
  });

  it('400 CG_METRIC_UNKNOWN for names inherited from Object.prototype', async () => {
    expectError(await api.get(url('metric=constructor')), 400, 'CG_METRIC_UNKNOWN');
  });

  it('404 CG_DEVICE_NOT_FOUND for an unknown device', async () => {
    expectError(await api.get(url('metric=level_cm', 'ghost-9')), 404, 'CG_DEVICE_NOT_FOUND');
  });

  it('400 CG_QUERY_INVALID for a bad from or to', async () => {
    for (const from of ['yesterday', '2026-13-45T00:00:00Z', 'abc']) {
      const res = await api.get(url(`from=${from}&to=${T0}`));
      expectError(res, 400, 'CG_QUERY_INVALID');
      expect(res.body.error.message).toContain('from');
    }
    expectError(await api.get(url(`from=${T0}&to=soon`)), 400, 'CG_QUERY_INVALID');
  });

  it('400 CG_QUERY_INVALID when from is not before to', async () => {
    expectError(await api.get(url(`from=${T0}&to=${T0}`)), 400, 'CG_QUERY_INVALID');
    expectError(await api.get(url(`from=${T0 + 1}&to=${T0}`)), 400, 'CG_QUERY_INVALID');
  });

  it('400 CG_QUERY_INVALID for a bad step; 400 CG_LIMIT_EXCEEDED for one that gives too many buckets', async () => {
    const res = await api.get(url(`from=${T0 - 30 * 86_400_000}&to=${T0}&step=1s`));
    expectError(res, 400, 'CG_LIMIT_EXCEEDED');
    expect(res.body.error.message).toContain('step');
    expectError(await api.get(url(`from=${T0}&to=${T0 + MIN}&step=500ms`)), 400, 'CG_QUERY_INVALID');
    expectError(await api.get(url(`from=${T0}&to=${T0 + MIN}&step=often`)), 400, 'CG_QUERY_INVALID');
  });
});

describe('GET /api/grid', () => {
  it('returns the cells as a FeatureCollection with live status', async () => {
    const res = await api.get('/api/grid').expect(200);
    expect(res.body.type).toBe('FeatureCollection');
    const byId = new Map((res.body.features as { properties: { id: string } }[]).map((f) => [f.properties.id, f]));
    expect([...byId.keys()]).toEqual(['c-a', 'c-b', 'c-empty']);
    expect(byId.get('c-a')).toMatchObject({
      type: 'Feature',
      properties: { id: 'c-a', name: 'Cell c-a', district: 'east', status: { devices: 2, online: 1, condition: 'alarm' } },
      geometry: { type: 'Polygon' },
    });
    expect(byId.get('c-b')).toMatchObject({ properties: { status: { devices: 2, online: 1, condition: 'ok' } } });
    expect(byId.get('c-empty')).toMatchObject({ properties: { status: { devices: 0, online: 0, condition: 'none' } } });
  });
});

describe('GET /api/rejections', () => {
  it('lists recorded rejections newest first with counts by reason', async () => {
    const res = await api.get('/api/rejections').expect(200);
    expect(res.body.total).toBe(4);
    expect(res.body.byReason).toEqual({ out_of_range: 2, unknown_metric: 1, unknown_device: 1 });
    expect(res.body.items.map((r: Rejection) => r.ts)).toEqual([T0 + 3, T0 + 2, T0 + 1, T0]);
    expect(res.body.items[1]).toMatchObject({ device: 'wl-1', reason: 'out_of_range', seq: 17, by: 'server' });
  });

  it('filters by reason and by device, and limits', async () => {
    const byReason = await api.get('/api/rejections?reason=out_of_range').expect(200);
    expect(byReason.body.items.map((r: Rejection) => r.ts)).toEqual([T0 + 2, T0]);
    const byDevice = await api.get('/api/rejections?device=tr-1').expect(200);
    expect(byDevice.body.items.map((r: Rejection) => r.reason)).toEqual(['unknown_metric']);
    const both = await api.get('/api/rejections?device=tr-1&reason=out_of_range').expect(200);
    expect(both.body.items).toEqual([]);
    const limited = await api.get('/api/rejections?limit=1').expect(200);
    expect(limited.body.items.map((r: Rejection) => r.ts)).toEqual([T0 + 3]);
    expect(limited.body.total).toBe(4);
  });

  it('400 CG_QUERY_INVALID for an unknown reason or a bad limit', async () => {
    expectError(await api.get('/api/rejections?reason=bad_vibes'), 400, 'CG_QUERY_INVALID');
    expectError(await api.get('/api/rejections?limit=0'), 400, 'CG_QUERY_INVALID');
  });
});

describe('errors, health and metrics', () => {
  it('an unknown /api path is 404 CG_NOT_FOUND in the error shape', async () => {
    const res = await api.get('/api/nope?x=1');
    expectError(res, 404, 'CG_NOT_FOUND');
    expect(res.body.error.message).toContain('/api/nope');
    expectError(await api.post('/api/devices'), 404, 'CG_NOT_FOUND');
  });

  it('a request body that is not JSON is 400 CG_BODY_INVALID', async () => {
    expectError(await request(app).post('/api/anything').set('content-type', 'application/json').send('{nope'), 400, 'CG_BODY_INVALID');
  });

  it('GET /api/health returns the health object, without a token', async () => {
    expect((await request(app).get('/api/health').expect(200)).body).toEqual(HEALTH);
  });

  it('every other /api route needs a token: 401 CG_UNAUTHENTICATED without one', async () => {
    expectError(await request(app).get('/api/devices'), 401, 'CG_UNAUTHENTICATED');
    expectError(await request(app).get('/api/devices').set('authorization', 'Bearer not-a-token'), 401, 'CG_UNAUTHENTICATED');
    expect((await request(app).get('/api/devices').set('cookie', `other=1; cg_token=${token}`)).status).toBe(200);
  });

  it('GET /metrics returns Prometheus text with citygrid_ metrics (open: no METRICS_TOKEN here)', async () => {
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE citygrid_messages_received_total counter');
    expect(res.text).toMatch(/^citygrid_\w+/m);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  it('needs the token as a bearer token', async () => {
    const guarded = buildApp({ ...deps, metricsToken: 'scrape-token-0123456789' });
    expectError(await request(guarded).get('/metrics'), 401, 'CG_UNAUTHENTICATED');
    expectError(await request(guarded).get('/metrics').set('authorization', 'Bearer wrong'), 401, 'CG_UNAUTHENTICATED');
    expectError(await request(guarded).get('/metrics').set('authorization', `Bearer ${token}`), 401, 'CG_UNAUTHENTICATED'); // a user's token is not it
    await request(guarded).get('/metrics').set('authorization', 'Bearer scrape-token-0123456789').expect(200);
  });
});

describe('security headers, CORS and body limits', () => {
  it('sends helmet headers and a CSP the dashboard runs under on API answers and pages', async () => {
    for (const res of [await request(app).get('/api/health'), await request(app).get('/')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests'); // plain HTTP on a LAN keeps working
    }
  });

  it('is closed to other origins by default: no Access-Control-Allow-Origin, preflight not answered with one', async () => {
    const res = await api.get('/api/devices').set('origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await request(app).options('/api/alerts/x/ack').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('opens to exactly the origins in CORS_ORIGINS', async () => {
    const open = buildApp({ ...deps, corsOrigins: ['https://ops.example.org'] });
    const pre = await request(open).options('/api/alerts/x/ack').set('origin', 'https://ops.example.org').set('access-control-request-method', 'POST').expect(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://ops.example.org');
    expect(pre.headers['access-control-allow-credentials']).toBe('true');
    const other = await request(open).get('/api/health').set('origin', 'https://ops.example.org.evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a body over 64 KiB with 413 CG_BODY_TOO_LARGE, before authentication reads it', async () => {
    const note = 'x'.repeat(70 * 1024);
    const res = await api.post('/api/alerts/any/resolve').send({ note });
    expectError(res, 413, 'CG_BODY_TOO_LARGE');
    expect(res.body.error.message).toContain('64kb');
  });
});
