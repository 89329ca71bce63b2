// Proves STORE=influx end to end: the demo city's simulated readings land in a real InfluxDB (checked
// with a direct InfluxQL query) and the readings API that draws the dashboard's charts reads them back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SENSOR_KINDS, type ReadingsResponse } from '@citygrid/contract';
import { startInflux, type TestInflux } from '../helpers/influx.js';
import { fileReport } from '../helpers/reports.js';
import { getJson, login, startTestSystem, waitFor } from '../helpers/system.js';

let influx: TestInflux;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let token: string;

beforeAll(async () => {
  influx = await startInflux('demo');
  system = await startTestSystem({ STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'demo', SIMULATE: '1', SIMULATE_INTERVAL: '1s', REPORT_POW_BITS: '4' });
  token = await login(system.baseUrl, 'viewer');
});
afterAll(async () => {
  await system?.stop();
  await influx?.remove();
});

it('stores the demo city in InfluxDB, one measurement per kind, and serves history from it', async () => {
  const devicesPerKind = await waitFor(async () => {
    const statements = SENSOR_KINDS.map((k) => `SHOW TAG VALUES FROM "${k}" WITH KEY = "device"`).join(';');
    const results = await influx.query(statements, 'demo');
    const counts = results.map((r) => r.series?.[0]?.values.length ?? 0);
    return counts.every((n) => n > 0) && counts.reduce((a, b) => a + b, 0) >= 300 ? counts : null;
  }, 'every sensor kind and ≥ 300 devices in InfluxDB', 30_000, 500);
  expect(devicesPerKind).toHaveLength(SENSOR_KINDS.length);

  const [direct] = await influx.query(`SELECT "level_cm" FROM "water_level" WHERE "device" = 'wl-0001' AND time > now() - 1h`, 'demo');
  const stored = direct!.series![0]!.values.map(([ts, v]) => ({ ts, value: v }));
  expect(stored.length).toBeGreaterThan(0);
  const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0001/readings?metric=level_cm&from=${Date.now() - 3_600_000}`, token);
  expect(body.series[0]!.points.slice(0, stored.length)).toEqual(stored);
  const bucketed = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0001/readings?metric=level_cm&from=${Date.now() - 3_600_000}&step=15s`, token);
  expect(bucketed.body.series[0]!.points.length).toBeGreaterThan(0);
  expect(bucketed.body.series[0]!.points[0]).toHaveProperty('mean');
});

it('mirrors alert transitions into InfluxDB beside the readings', async () => {
  // a manhole cover opening alerts at once (no hold time)
  const { connectDevice, publish, end } = await import('../helpers/system.js');
  const mh = system.city.devices.find((d) => d.kind === 'manhole_cover')!;
  const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, mh.id);
  await publish(device, `city/v1/devices/${mh.id}/telemetry`, JSON.stringify({ metrics: { open: true, tilt_deg: 30 } }));
  await end(device);
  const rows = await waitFor(async () => {
    const [r] = await influx.query(`SELECT "alert_id", "state", "actor" FROM "alert_event" WHERE "rule" = 'manhole-open' AND "event" = 'firing'`, 'demo');
    return r?.series?.[0]?.values.length ? r.series[0].values : null;
  }, 'the firing transition in InfluxDB', 15_000, 250);
  expect(rows[0]![2]).toBe('firing');
});

it('mirrors a resident\'s report into InfluxDB: its receipt, cell and category, never its text', async () => {
  const cell = system.city.cells[5]!;
  const res = await fileReport(system.baseUrl, { category: 'streetlight', cell: cell.id, text: 'the light by the gate is out' });
  expect(res.status).toBe(201);
  const { receipt } = res.body;
  const rows = await waitFor(async () => {
    const [r] = await influx.query(`SELECT * FROM "resident_report" WHERE "receipt" = '${receipt}'`, 'demo');
    return r?.series?.[0] ? r.series[0] : null;
  }, 'the report in InfluxDB', 15_000, 250);
  const row = Object.fromEntries(rows.columns.map((k, i) => [k, rows.values[0]![i]]));
  expect(row).toMatchObject({ receipt, grid: cell.id, district: cell.district, category: 'streetlight', event: 'filed' });
  expect(JSON.stringify(rows)).not.toContain('gate');
});
