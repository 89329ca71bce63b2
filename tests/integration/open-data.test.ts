// Proves the open data (GET /api/open/..., issue 17) on the demo city, with no sign-in: a day of
// readings in several cells comes back as hourly CSV rows whose min/mean/max/count are those computed
// here from the readings; the same day as NGSI-LD entities carrying the fields the FIWARE Smart Data
// Models' JSON Schemas require (checked by hand, see below); alerts fired per hour and colour; the last
// hour's conditions and open alerts per district; the city's shape; a public device's own hourly
// aggregates while any other device id is 404 like an unknown one; refusals by code; the per-address
// limit (429, Retry-After, other addresses unaffected); the requests counted in /metrics. Then that
// nothing private is reachable without sign-in: no person's name or contact, no alert note, no
// non-public device id in any answer of any open route or link. Last, both stores' hourlyAggregates
// (SQLite and a real InfluxDB) answer the same for the same readings.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CATALOGUE, deviceTopic, pointInArea, type Alert, type OpenCity, type OpenConditions, type OpenIndex, type SensorKind,
} from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { InfluxStore, SqliteStore, type StoredReading, type TimeSeriesStore } from '@citygrid/server';
import { csvObjects } from '../helpers/csv.js';
import { haveInfluxd, startInflux, type TestInflux } from '../helpers/influx.js';
import { DEMO_CITY, connectDevice, end, login, publish, readMetrics, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const YESTERDAY = TODAY - DAY;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoHour = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const PUBLIC = 'aq-0001';
const NOTE_MARKER = 'PRIVATE-NOTE-7f3c9a';

const cityDir = tempDir('citygrid-city-');
const dataDir = tempDir();
let system: Awaited<ReturnType<typeof startTestSystem>>;
const clients: MqttClient[] = [];
/** Every answer of the open routes, for the privacy check. */
const answers: { path: string; body: string }[] = [];

/** GET without a token, from a loopback address of the test's choosing (each part of the test its own, for the rate limit). */
function get(path: string, from = '127.0.0.1', port = system.httpPort): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        answers.push({ path, body });
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
const json = <T>(body: string) => JSON.parse(body) as T;
const csv = (body: string) => {
  expect(body.startsWith('\uFEFF')).toBe(true);
  return csvObjects(body.slice(1));
};

/** The seeded day: every 10 minutes from each chosen device, values that differ by device, hour and minute. */
let devices: CityDevice[];
const seeded: StoredReading[] = [];
function valueOf(kind: SensorKind, metric: string, i: number, d: number): number | boolean {
  const spec = CATALOGUE[kind][metric]!;
  if (spec.type === 'boolean') return (i + d) % 3 === 0;
  const span = Math.min(spec.max, spec.min + 200) - spec.min;
  return Math.round((spec.min + ((i * 37 + d * 11) % 97) / 97 * span) * 100) / 100;
}

interface Expected { min: number; max: number; sum: number; count: number }
function expected(readings: StoredReading[], by: (r: StoredReading) => string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const r of readings) {
    for (const [metric, v] of Object.entries(r.metrics)) {
      const value = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      const key = `${isoHour(Math.floor(r.ts / HOUR) * HOUR)}|${by(r)}|${metric}`;
      const e = out.get(key);
      if (!e) out.set(key, { min: value, max: value, sum: value, count: 1 });
      else { e.min = Math.min(e.min, value); e.max = Math.max(e.max, value); e.sum += value; e.count++; }
    }
  }
  return out;
}

let alert: Alert;
let mhCell: string;

beforeAll(async () => {
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  const file = join(cityDir.path, 'devices.yaml');
  const yaml = readFileSync(file, 'utf8');
  const marked = yaml.replace(`- id: ${PUBLIC}\n`, `- id: ${PUBLIC}\n  public: true\n`);
  expect(marked).not.toBe(yaml);
  writeFileSync(file, marked);
  system = await startTestSystem({ CITY_DIR: cityDir.path, DATA_DIR: dataDir.path, SIMULATE: '0' });
  const city = system.city;
  // the public air station, a water gauge and the rain gauge of its cell, a noise meter, a weather station, a manhole cover
  const wl = city.devicesById.get('wl-0001')!;
  devices = [
    city.devicesById.get(PUBLIC)!, wl,
    city.devices.find((d) => d.kind === 'rainfall' && d.grid === wl.grid) ?? city.devices.find((d) => d.kind === 'rainfall')!,
    city.devices.find((d) => d.kind === 'noise')!,
    city.devices.find((d) => d.kind === 'weather')!,
    city.devices.find((d) => d.kind === 'manhole_cover' && d.id !== 'mh-0001')!,
  ];
  expect(new Set(devices.map((d) => d.grid)).size).toBeGreaterThanOrEqual(4);
  devices.forEach((d, di) => {
    const kind = d.kind as SensorKind;
    for (let i = 0; i < 144; i++) {
      const metrics = Object.fromEntries(Object.keys(CATALOGUE[kind]).map((m) => [m, valueOf(kind, m, i, di)]));
      seeded.push({ device: d.id, kind, grid: d.grid, district: d.district, ts: YESTERDAY + i * 600_000 + di * 1000, metrics });
    }
  });
  system.store.writeReadings(seeded);
  await system.store.flush();

  // now: wl-0001 at 40 cm (alarm), and a manhole cover opened (the manhole-open rule: an orange alert at once)
  const url = `mqtt://127.0.0.1:${system.mqttPort}`;
  const wlc = await connectDevice(url, 'wl-0001');
  const mhc = await connectDevice(url, 'mh-0001');
  clients.push(wlc, mhc);
  await publish(wlc, deviceTopic('wl-0001', 'telemetry'), JSON.stringify({ ts: Date.now() - 60_000, metrics: { level_cm: 40 } }));
  await publish(mhc, deviceTopic('mh-0001', 'telemetry'), JSON.stringify({ ts: Date.now(), metrics: { tilt_deg: 30, open: true } }));
  mhCell = city.devicesById.get('mh-0001')!.grid;
  const operator = await login(system.baseUrl, 'operator');
  alert = await waitFor(async () => {
    const res = await fetch(`${system.baseUrl}/api/alerts?grid=${mhCell}`, { headers: { authorization: `Bearer ${operator}` } });
    return ((await res.json()) as { alerts: Alert[] }).alerts.find((a) => a.rule === 'manhole-open' && a.state === 'firing');
  }, 'the manhole-open alert');
  const acked = await sendJson(`${system.baseUrl}/api/alerts/${alert.id}/ack`, { note: `on my way, call me ${NOTE_MARKER}` }, operator);
  expect(acked.status).toBe(200);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
  cityDir.remove();
  dataDir.remove();
});

describe('GET /api/open (no sign-in)', () => {
  it('states the licence, the aggregation, what is never published, the limits and the links', async () => {
    const res = await get('/api/open');
    expect(res.status).toBe(200);
    const index = json<OpenIndex>(res.body);
    expect(index.licence).toEqual({ name: 'CC BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/', attribution: 'Wuhan demo city via CityGrid' });
    expect(index.aggregation).toMatchObject({ period: 'PT1H', spatialUnit: 'grid cell', timeZone: 'UTC' });
    expect(index.neverPublished.join(' ')).toMatch(/raw readings of single devices.*names.*notes.*report texts/s);
    expect(index.limits).toMatchObject({ daysPerRequest: 1 });
    expect(index.publicDevices).toEqual([PUBLIC]);
    const hrefs = index.links.map((l) => l.href);
    for (const p of ['/api/open/hourly.csv', '/api/open/alerts-hourly.csv', '/api/open/hourly.jsonld', '/api/open/conditions', '/api/open/city', `/api/open/devices/${PUBLIC}/hourly.csv`]) expect(hrefs).toContain(p);
    expect(res.headers.link).toContain('<https://creativecommons.org/licenses/by/4.0/>; rel="license"');
  });
});

describe('GET /api/open/hourly.csv', () => {
  it('gives per hour, cell and metric the min, mean, max and count of the readings', async () => {
    const res = await get(`/api/open/hourly.csv?date=${isoDay(YESTERDAY)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers.link).toContain('rel="license"');
    const { header, rows } = csv(res.body);
    expect(header).toEqual(['hour_start_utc', 'cell', 'district', 'metric', 'unit', 'min', 'mean', 'max', 'count']);
    const want = expected(seeded, (r) => r.grid);
    const got = new Map(rows.map((r) => [`${r.hour_start_utc}|${r.cell}|${r.metric}`, r]));
    expect(got.size).toBe(want.size); // nothing else was stored yesterday
    for (const [key, e] of want) {
      const row = got.get(key)!;
      expect(row, key).toBeDefined();
      expect(Number(row.min), key).toBe(e.min);
      expect(Number(row.max), key).toBe(e.max);
      expect(Number(row.mean), key).toBeCloseTo(e.sum / e.count, 9);
      expect(Number(row.count), key).toBe(e.count);
      const cell = system.city.cellsById.get(row.cell!)!;
      expect(row.district).toBe(cell.district);
    }
    expect(rows.find((r) => r.metric === 'level_cm')!.unit).toBe('cm');
    expect(rows.find((r) => r.metric === 'pm25')!.unit).toBe('µg/m³');
    // every hour of the day, in order
    expect([...new Set(rows.map((r) => r.hour_start_utc))]).toEqual(Array.from({ length: 24 }, (_, h) => isoHour(YESTERDAY + h * HOUR)));
  });

  it('defaults to yesterday', async () => {
    const [a, b] = await Promise.all([get('/api/open/hourly.csv'), get(`/api/open/hourly.csv?date=${isoDay(YESTERDAY)}`)]);
    expect(a.status).toBe(200);
    expect(a.body).toBe(b.body);
    expect(a.headers['cache-control']).toBe('public, max-age=86400');
  });

  it('refuses bad dates and more than one day by code', async () => {
    const cases: [string, number, string][] = [
      ['/api/open/hourly.csv?date=2026-02-30', 400, 'CG_OPEN_DATE_INVALID'],
      ['/api/open/hourly.csv?date=yesterday', 400, 'CG_OPEN_DATE_INVALID'],
      [`/api/open/hourly.csv?date=${isoDay(YESTERDAY)}&date=${isoDay(TODAY)}`, 400, 'CG_OPEN_DATE_INVALID'],
      [`/api/open/hourly.csv?date=${isoDay(TODAY + DAY)}`, 400, 'CG_OPEN_DATE_OUT_OF_RANGE'],
      ['/api/open/hourly.jsonld?date=1999-01-01', 400, 'CG_OPEN_DATE_OUT_OF_RANGE'],
      [`/api/open/hourly.csv?from=0&to=${Date.now()}`, 400, 'CG_QUERY_INVALID'],
      ['/api/open/no-such-thing', 404, 'CG_NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path, '127.0.0.3');
      expect([res.status, json<{ error: { code: string } }>(res.body).error.code], path).toEqual([status, code]);
    }
  });
});

describe('GET /api/open/alerts-hourly.csv', () => {
  it('counts the alerts that fired per hour and cell, by colour', async () => {
    const today = csv((await get(`/api/open/alerts-hourly.csv?date=${isoDay(TODAY)}`)).body);
    expect(today.header).toEqual(['hour_start_utc', 'cell', 'district', 'red', 'orange', 'yellow', 'blue']);
    const row = today.rows.find((r) => r.cell === mhCell && r.hour_start_utc === isoHour(Math.floor(alert.firedAt! / HOUR) * HOUR));
    expect(row).toMatchObject({ district: alert.district, orange: '1', red: '0' });
    const yesterday = csv((await get(`/api/open/alerts-hourly.csv?date=${isoDay(YESTERDAY)}`)).body);
    expect(yesterday.rows).toEqual([]);
  });
});

// The FIWARE Smart Data Models' JSON Schemas are not on the npm registry (no package ships them:
// `npm view` of smart-data-models names finds none; ngsijs is a context-broker client without them),
// and this project vendors nothing from elsewhere, so the fields each schema requires and the types
// it gives them are checked here by hand, model by model, from:
//   https://github.com/smart-data-models/dataModel.Environment/blob/master/AirQualityObserved/schema.json  required: id, type, dateObserved, location; pm25, pm10, no2, o3: number >= 0
//   https://github.com/smart-data-models/dataModel.Environment/blob/master/NoiseLevelObserved/schema.json  required: id, type, dateObservedFrom, dateObservedTo, location; LAeq: number
//   https://github.com/smart-data-models/dataModel.Environment/blob/master/WaterObserved/schema.json       required: id, type, location, dateObserved; height: number >= 0
//   https://github.com/smart-data-models/dataModel.Weather/blob/master/WeatherObserved/schema.json        required: id, type, dateObserved, location; relativeHumidity 0..1
//   https://github.com/smart-data-models/dataModel.Alert/blob/master/Alert/schema.json (alert-schema.json Common-Alert): category and severity enums, dateIssued date-time, alertSource
// and location from common-schema.json (a GeoJSON geometry), areaServed and refPointOfInterest: strings.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const REQUIRED: Record<string, string[]> = {
  AirQualityObserved: ['id', 'type', 'dateObserved', 'location'],
  NoiseLevelObserved: ['id', 'type', 'dateObservedFrom', 'dateObservedTo', 'location'],
  WaterObserved: ['id', 'type', 'location', 'dateObserved'],
  WeatherObserved: ['id', 'type', 'dateObserved', 'location'],
  Alert: ['id', 'type', 'category', 'dateIssued', 'alertSource', 'location'],
};
const ALERT_CATEGORIES = ['traffic', 'naturalDisaster', 'weather', 'environment', 'health', 'security', 'agriculture'];
const ALERT_SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'];

describe('GET /api/open/hourly.jsonld', () => {
  let entities: Record<string, unknown>[];
  beforeAll(async () => {
    const res = await get(`/api/open/hourly.jsonld?date=${isoDay(YESTERDAY)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
    entities = json<Record<string, unknown>[]>(res.body);
  });

  it('gives each entity what its Smart Data Model\'s schema requires, typed as it says', () => {
    expect(entities.length).toBeGreaterThan(0);
    const types = new Set(entities.map((e) => e.type));
    expect([...types].sort()).toEqual(['AirQualityObserved', 'NoiseLevelObserved', 'WaterObserved', 'WeatherObserved']);
    for (const e of entities) {
      const type = e.type as string;
      for (const field of REQUIRED[type]!) expect(e[field], `${type}.${field}`).toBeDefined();
      expect(e['@context']).toEqual(['https://smartdatamodels.org/context.jsonld', 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld']);
      expect(e.id).toMatch(new RegExp(`^urn:ngsi-ld:${type}:wuhan-demo-city:[a-z0-9-]+:\\d{4}-\\d{2}-\\d{2}T\\d{2}:00:00Z$`));
      const location = e.location as { type: string; coordinates: [number, number] };
      expect(location.type).toBe('Point');
      const cell = system.city.cellsById.get(e.areaServed as string)!;
      expect(cell, String(e.areaServed)).toBeDefined();
      expect(pointInArea(location.coordinates, cell.feature.geometry)).toBe(true);
      expect(e.refPointOfInterest).toBe(`urn:ngsi-ld:PointOfInterest:wuhan-demo-city:${cell.id}`);
      expect(e.dateObservedFrom).toMatch(DATE_TIME);
      expect(e.dateObservedTo).toMatch(DATE_TIME);
      if (type === 'NoiseLevelObserved') expect(e.dateObserved).toBe(`${e.dateObservedFrom}/${e.dateObservedTo}`);
      else expect(e.dateObserved).toMatch(DATE_TIME);
      for (const n of ['pm25', 'pm10', 'no2', 'o3', 'height', 'precipitation', 'windSpeed']) if (n in e) expect(e[n]).toBeGreaterThanOrEqual(0);
      if ('relativeHumidity' in e) expect(e.relativeHumidity).toBeGreaterThanOrEqual(0);
      if ('relativeHumidity' in e) expect(e.relativeHumidity).toBeLessThanOrEqual(1);
      for (const n of ['pm25', 'pm10', 'no2', 'o3', 'LAeq', 'height', 'temperature', 'relativeHumidity', 'windSpeed', 'precipitation']) if (n in e) expect(typeof e[n], n).toBe('number');
      expect(typeof e.cityGridAggregation).toBe('string');
    }
  });

  it('holds the same aggregates as the CSV, the model\'s attribute the mean in its unit', () => {
    const want = expected(seeded, (r) => r.grid);
    const aq = entities.find((e) => e.type === 'AirQualityObserved' && e.dateObservedFrom === isoHour(YESTERDAY + 5 * HOUR))!;
    const key = `${isoHour(YESTERDAY + 5 * HOUR)}|${aq.areaServed as string}|pm25`;
    expect(aq.pm25).toBeCloseTo(want.get(key)!.sum / want.get(key)!.count, 9);
    expect((aq.cityGridHourlyStatistics as Record<string, Record<string, number>>).pm25).toMatchObject({ unit: 'µg/m³', min: want.get(key)!.min, max: want.get(key)!.max, count: want.get(key)!.count });
    const water = entities.find((e) => e.type === 'WaterObserved' && e.areaServed === 'wuchang-006' && e.dateObservedFrom === isoHour(YESTERDAY))!;
    const w = want.get(`${isoHour(YESTERDAY)}|wuchang-006|level_cm`)!;
    expect(water.height).toBeCloseTo(w.sum / w.count / 100, 9); // metres
    const weather = entities.find((e) => e.type === 'WeatherObserved' && 'temperature' in e)!;
    const t = want.get(`${weather.dateObservedFrom as string}|${weather.areaServed as string}|temp_c`)!;
    expect(weather.temperature).toBeCloseTo(t.sum / t.count, 9);
    const h = want.get(`${weather.dateObservedFrom as string}|${weather.areaServed as string}|humidity_pct`)!;
    expect(weather.relativeHumidity).toBeCloseTo(h.sum / h.count / 100, 9);
    const noise = entities.find((e) => e.type === 'NoiseLevelObserved')!;
    const n = want.get(`${noise.dateObservedFrom as string}|${noise.areaServed as string}|laeq`)!;
    expect(noise.LAeq).toBeCloseTo(n.sum / n.count, 9);
    // one entity per model, cell and hour
    expect(new Set(entities.map((e) => e.id)).size).toBe(entities.length);
  });

  it('gives the alerts that fired as Alert entities with counts, no texts and no names', async () => {
    const today = json<Record<string, unknown>[]>((await get(`/api/open/hourly.jsonld?date=${isoDay(TODAY)}`)).body);
    const alerts = today.filter((e) => e.type === 'Alert');
    const mine = alerts.find((e) => e.areaServed === mhCell && (e.data as { colour: string }).colour === 'orange')!;
    expect(mine).toBeDefined();
    for (const e of alerts) {
      for (const field of REQUIRED.Alert!) expect(e[field], `Alert.${field}`).toBeDefined();
      expect(ALERT_CATEGORIES).toContain(e.category);
      expect(ALERT_SEVERITIES).toContain(e.severity);
      expect(e.dateIssued).toMatch(DATE_TIME);
    }
    expect(mine).toMatchObject({ severity: 'high', category: 'traffic', subCategory: 'hazardOnRoad', data: { alertsFired: 1, colour: 'orange', level: 'II' } });
    const text = JSON.stringify(alerts);
    expect(text).not.toContain(alert.id);
    expect(text).not.toContain(alert.message);
  });
});

describe('GET /api/open/conditions and /api/open/city', () => {
  it('gives every cell its worst condition of the last hour (null without readings) and open alerts per district', async () => {
    const res = await get('/api/open/conditions');
    expect(res.status).toBe(200);
    const c = json<OpenConditions>(res.body);
    expect(c.window.to - c.window.from).toBe(HOUR);
    expect(c.licence.url).toBe('https://creativecommons.org/licenses/by/4.0/');
    expect(c.city).toEqual({ name: system.city.name, name_en: 'Wuhan demo city' });
    expect(c.cells.map((x) => x.id).sort()).toEqual(system.city.cells.map((x) => x.id).sort());
    const byId = new Map(c.cells.map((x) => [x.id, x]));
    expect(byId.get('wuchang-006')).toEqual({ id: 'wuchang-006', district: 'wuchang', condition: 'alarm' }); // 40 cm
    expect(byId.get(mhCell)!.condition).toBe('alarm'); // the cover was open
    // (just after midnight UTC the last hour reaches back into the seeded day)
    const reported = new Set(['wuchang-006', mhCell, ...seeded.filter((r) => r.ts >= c.window.from && r.ts < c.window.to).map((r) => r.grid)]);
    expect(c.cells.filter((x) => x.condition !== null).map((x) => x.id).sort()).toEqual([...reported].sort());
    expect(c.districts.map((d) => d.id).sort()).toEqual(system.city.districts.map((d) => d.id).sort());
    const district = c.districts.find((d) => d.id === alert.district)!;
    expect(district.openAlerts.orange).toBeGreaterThanOrEqual(1);
    expect(Object.keys(district.openAlerts).sort()).toEqual(['blue', 'orange', 'red', 'yellow']);
  });

  it('gives the city\'s districts and cells with their names and outlines only', async () => {
    const res = await get('/api/open/city');
    expect(res.status).toBe(200);
    const city = json<OpenCity>(res.body);
    expect(city.name).toBe(system.city.name);
    expect(city.cells.features).toHaveLength(system.city.cells.length);
    for (const f of city.cells.features) expect(Object.keys(f.properties).sort()).toEqual(expect.arrayContaining(['district', 'id', 'name']));
    for (const f of city.cells.features) expect(Object.keys(f.properties).every((k) => ['id', 'name', 'name_en', 'district'].includes(k))).toBe(true);
    for (const f of city.districts.features) expect(Object.keys(f.properties).every((k) => ['id', 'name', 'name_en'].includes(k))).toBe(true);
    expect(city.districts.features.length).toBe(system.city.districts.length);
  });
});

describe('devices marked public', () => {
  it('give their own hourly aggregates', async () => {
    const res = await get(`/api/open/devices/${PUBLIC}/hourly.csv?date=${isoDay(YESTERDAY)}`);
    expect(res.status).toBe(200);
    const { header, rows } = csv(res.body);
    expect(header).toEqual(['hour_start_utc', 'device', 'cell', 'district', 'metric', 'unit', 'min', 'mean', 'max', 'count']);
    const want = expected(seeded.filter((r) => r.device === PUBLIC), (r) => r.device);
    expect(rows).toHaveLength(want.size);
    for (const r of rows) {
      const e = want.get(`${r.hour_start_utc}|${r.device}|${r.metric}`)!;
      expect([Number(r.min), Number(r.max), Number(r.count)]).toEqual([e.min, e.max, e.count]);
      expect(Number(r.mean)).toBeCloseTo(e.sum / e.count, 9);
    }
  });

  it('and any other id answers 404 exactly as an unknown one does', async () => {
    const other = await get('/api/open/devices/wl-0001/hourly.csv');
    const unknown = await get('/api/open/devices/zz-9999/hourly.csv');
    expect([other.status, unknown.status]).toEqual([404, 404]);
    expect(json<{ error: { code: string; message: string } }>(other.body).error).toEqual({ code: 'CG_DEVICE_NOT_FOUND', message: 'No device with id "wl-0001"' });
    expect(json<{ error: { code: string; message: string } }>(unknown.body).error).toEqual({ code: 'CG_DEVICE_NOT_FOUND', message: 'No device with id "zz-9999"' });
    expect(Object.keys(other.headers).sort()).toEqual(Object.keys(unknown.headers).sort());
  });
});

describe('nothing private without sign-in', () => {
  it('no person, contact, alert note or non-public device id in any open answer or link', async () => {
    const index = json<OpenIndex>((await get('/api/open', '127.0.0.4')).body);
    const paths = new Set<string>();
    for (const link of index.links) {
      if (!link.href.startsWith('/api/open')) continue;
      paths.add(link.href);
      for (const d of [YESTERDAY, TODAY]) paths.add(`${link.href}?date=${isoDay(d)}`);
    }
    for (const id of system.city.devices.filter((d) => d.id !== PUBLIC).slice(0, 5).map((d) => d.id)) paths.add(`/api/open/devices/${id}/hourly.csv?date=${isoDay(YESTERDAY)}`);
    expect(paths.size).toBeGreaterThan(15);
    for (const p of paths) {
      const res = await get(p, '127.0.0.4');
      expect(res.status, p).toBeLessThan(500);
      if (p.includes('/devices/') && !p.includes(PUBLIC)) expect(res.status, p).toBe(404);
      else expect(res.status, p).toBe(200);
    }
    const people = system.city.people;
    const secrets = [
      NOTE_MARKER,
      ...people.map((p) => p.name),
      ...people.filter((p) => /[-.]/.test(p.username)).map((p) => p.username), // plain words (admin, operator) are words too
      ...people.flatMap((p) => Object.values(p.contacts ?? {}) as string[]),
      // a device id would only be in an answer as its own series: only the public one may be
      ...system.city.devices.filter((d) => d.id !== PUBLIC).map((d) => `"${d.id}"`),
      ...system.city.devices.filter((d) => d.id !== PUBLIC).map((d) => `,${d.id},`),
      ...system.city.devices.filter((d) => d.id !== PUBLIC).map((d) => `/${d.id}/`),
    ];
    expect(secrets.length).toBeGreaterThan(1000);
    const leaks: string[] = [];
    for (const { path, body } of answers) {
      // the 404 of a device id names the id the caller gave, nothing more
      if (path.includes('/devices/') && !path.includes(PUBLIC)) continue;
      for (const s of secrets) if (body.includes(s)) leaks.push(`${path}: ${s}`);
    }
    expect(leaks).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
  });
});

describe('bounds', () => {
  it('counts the requests by endpoint in /metrics', async () => {
    const metric = await readMetrics(system.baseUrl);
    expect(metric('citygrid_open_requests_total', { endpoint: 'hourly.csv' })).toBeGreaterThanOrEqual(3);
    expect(metric('citygrid_open_requests_total', { endpoint: 'conditions' })).toBeGreaterThanOrEqual(1);
    expect(metric('citygrid_open_requests_total', { endpoint: 'device-hourly.csv' })).toBeGreaterThanOrEqual(3);
  });

  it('limits each address (429 with Retry-After), and other addresses still get answers', async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof get>> | null = null;
    for (let i = 0; i < 70; i++) {
      const res = await get('/api/open/city', '127.0.0.9');
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
    expect(json<{ error: { code: string; message: string } }>(refused!.body).error.code).toBe('CG_OPEN_RATE_LIMITED');
    expect(json<{ error: { message: string } }>(refused!.body).error.message).toMatch(/at most 60 per 60 s; try again in \d+ s/);
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get('/api/open/city', '127.0.0.10')).status).toBe(200);
  });
});

// The same city on InfluxDB (STORE=influx) publishes the same day as on SQLite.
describe('on InfluxDB', () => {
  let influx: TestInflux;
  let other: Awaited<ReturnType<typeof startTestSystem>>;
  beforeAll(async () => {
    if (!haveInfluxd()) throw new Error('influxd is not installed: .ci/run installs Debian\'s influxdb');
    influx = await startInflux('opendata');
    other = await startTestSystem({ CITY_DIR: cityDir.path, STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'opendata', SIMULATE: '0' });
    other.store.writeReadings(seeded);
    await other.store.flush();
  });
  afterAll(async () => {
    await other?.stop();
    await influx?.remove();
  });

  it('gives the same hourly CSV and NGSI-LD entities for the same readings', async () => {
    const path = `/api/open/hourly.csv?date=${isoDay(YESTERDAY)}`;
    const [onSqlite, onInflux] = [csv((await get(path, '127.0.0.5')).body), csv((await get(path, '127.0.0.5', other.httpPort)).body)];
    expect(onInflux.rows.length).toBe(onSqlite.rows.length);
    onInflux.rows.forEach((row, i) => {
      const { mean, ...rest } = row;
      const { mean: sqliteMean, ...sqliteRest } = onSqlite.rows[i]!;
      expect(rest).toEqual(sqliteRest);
      expect(Number(mean)).toBeCloseTo(Number(sqliteMean), 9);
    });
    const jsonld = `/api/open/hourly.jsonld?date=${isoDay(YESTERDAY)}`;
    const ids = (body: string) => json<{ id: string }[]>(body).map((e) => e.id);
    expect(ids((await get(jsonld, '127.0.0.5', other.httpPort)).body)).toEqual(ids((await get(jsonld, '127.0.0.5')).body));
  });
});

// The two stores answer hourlyAggregates alike: SQLite (the cells from the city's map of devices) and a
// real InfluxDB (GROUP BY time(1h), "grid"), for the same readings.
describe.each(['sqlite', 'influx'] as const)('%s store: hourlyAggregates', (name) => {
  const dir = tempDir();
  let influx: TestInflux | null = null;
  let store: TimeSeriesStore;
  const T = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
  const r = (device: string, grid: string, kind: SensorKind, ts: number, metrics: StoredReading['metrics']): StoredReading => ({ device, grid, district: grid.split('-')[0]!, kind, ts, metrics });
  const readings = [
    r('wl-1', 'wuchang-006', 'water_level', T + 1000, { level_cm: 10 }),
    r('wl-1', 'wuchang-006', 'water_level', T + 2000, { level_cm: 30 }),
    r('wl-2', 'wuchang-006', 'water_level', T + 3000, { level_cm: 50 }),
    r('wl-1', 'wuchang-006', 'water_level', T + HOUR + 5, { level_cm: 7 }),
    r('mh-1', 'jiangan-014', 'manhole_cover', T + 10, { tilt_deg: 2, open: false }),
    r('mh-1', 'jiangan-014', 'manhole_cover', T + 20, { tilt_deg: 4, open: true }),
    r('aq-1', 'jiangan-001', 'air_quality', T + 2 * HOUR - 1, { pm25: 80 }),
    r('aq-1', 'jiangan-001', 'air_quality', T + 2 * HOUR, { pm25: 999 }), // outside [T, T + 2h)
  ];
  const cells = new Map([['wl-1', 'wuchang-006'], ['wl-2', 'wuchang-006'], ['mh-1', 'jiangan-014'], ['aq-1', 'jiangan-001']]);

  beforeAll(async () => {
    if (name === 'influx') {
      if (!haveInfluxd()) throw new Error('influxd is not installed: .ci/run installs Debian\'s influxdb');
      influx = await startInflux('open');
      const s = new InfluxStore({ url: influx.url, token: null, database: 'open', spoolDir: join(dir.path, 'spool'), spoolMaxBytes: 16 * 1_048_576, retentionMs: 30 * DAY, logger: pino({ level: 'silent' }), flushIntervalMs: 50 });
      await s.init();
      store = s;
    } else {
      store = new SqliteStore({ path: join(dir.path, 'citygrid.db') });
    }
    store.writeReadings(readings);
    await store.flush();
  });
  afterAll(async () => {
    await store?.close();
    await influx?.remove();
    dir.remove();
  });

  it('aggregates per UTC hour, cell and metric within [from, to)', async () => {
    const rows = await store.hourlyAggregates({ from: T, to: T + 2 * HOUR, cells });
    const sorted = rows.map((x) => ({ ...x })).sort((a, b) => a.hour - b.hour || a.grid.localeCompare(b.grid) || a.metric.localeCompare(b.metric));
    expect(sorted).toEqual([
      { hour: T, grid: 'jiangan-014', metric: 'open', min: 0, mean: 0.5, max: 1, count: 2 },
      { hour: T, grid: 'jiangan-014', metric: 'tilt_deg', min: 2, mean: 3, max: 4, count: 2 },
      { hour: T, grid: 'wuchang-006', metric: 'level_cm', min: 10, mean: 30, max: 50, count: 3 },
      { hour: T + HOUR, grid: 'jiangan-001', metric: 'pm25', min: 80, mean: 80, max: 80, count: 1 },
      { hour: T + HOUR, grid: 'wuchang-006', metric: 'level_cm', min: 7, mean: 7, max: 7, count: 1 },
    ]);
  });

  it('reads one device alone', async () => {
    const rows = await store.hourlyAggregates({ from: T, to: T + HOUR, cells, device: { id: 'wl-1', kind: 'water_level' } });
    expect(rows).toEqual([{ hour: T, grid: 'wuchang-006', metric: 'level_cm', min: 10, mean: 20, max: 30, count: 2 }]);
  });
});
