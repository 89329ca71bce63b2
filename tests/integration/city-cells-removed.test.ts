// Proves that a city whose cells change under stored data still starts and serves it: an alert raised
// in a cell, then the cell taken out of the city (with its devices and its grid worker, as when a
// regenerated city drops or renames a cell), and the server started again on the same data: the old
// alert is still listed, shown, found in the history, and can be resolved.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Alert } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const RULES = '- { id: flood, kind: threshold, match: { kind: water_level }, metric: level_cm, above: 30, severity: red, message: Flooding at the underpass }\n';

const city = tempDir('citygrid-city-');
const data = tempDir();
const demo = loadCity(DEMO_CITY);
const GAUGE = demo.devicesById.get('wl-0001')!;
const GONE = GAUGE.grid;
let alert: Alert;

/** The demo city without one cell, its devices and the people who had only it. */
function dropCell(dir: string, cell: string) {
  const grid = JSON.parse(readFileSync(join(dir, 'grid.geojson'), 'utf8')) as { features: { properties: { id: string } }[] };
  grid.features = grid.features.filter((f) => f.properties.id !== cell);
  writeFileSync(join(dir, 'grid.geojson'), JSON.stringify(grid));
  const devices = parse(readFileSync(join(dir, 'devices.yaml'), 'utf8')) as { grid: string }[];
  writeFileSync(join(dir, 'devices.yaml'), stringify(devices.filter((d) => d.grid !== cell)));
  const people = parse(readFileSync(join(dir, 'people.yaml'), 'utf8')) as { users: { grids?: string[] }[] };
  people.users = people.users.filter((u) => !u.grids?.includes(cell));
  writeFileSync(join(dir, 'people.yaml'), stringify(people));
}

beforeAll(async () => {
  cpSync(DEMO_CITY, city.path, { recursive: true });
  writeFileSync(join(city.path, 'rules.yaml'), RULES);
  const first = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, SIMULATE: '0' });
  try {
    const token = await login(first.baseUrl, 'operator');
    const device = await connectDevice(`mqtt://127.0.0.1:${first.mqttPort}`, GAUGE.id);
    await publish(device, `city/v1/devices/${GAUGE.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 45 } }));
    alert = await waitFor(async () => (await getJson<{ alerts: Alert[] }>(`${first.baseUrl}/api/alerts`, token)).body.alerts.find((a) => a.grid === GONE), 'the alert in the cell');
    await end(device);
  } finally {
    await first.stop();
  }
  dropCell(city.path, GONE);
  expect(loadCity(city.path).cellsById.has(GONE)).toBe(false);
});

let system: Awaited<ReturnType<typeof startTestSystem>>;
afterAll(async () => {
  await system?.stop();
  city.remove();
  data.remove();
});

it('starts on the old data without the cell and still lists, shows, finds and resolves its alert', async () => {
  system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, SIMULATE: '0' });
  const token = await login(system.baseUrl, 'operator');
  const list = await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts`, token);
  expect(list.status).toBe(200);
  expect(list.body.alerts.map((a) => a.id)).toContain(alert.id);
  const one = await getJson<{ alert: Alert }>(`${system.baseUrl}/api/alerts/${alert.id}`, token);
  expect(one.status).toBe(200);
  expect(one.body.alert).toMatchObject({ id: alert.id, grid: GONE });
  const history = await getJson<{ items: { alert: Alert }[] }>(`${system.baseUrl}/api/alerts/history`, token);
  expect(history.status).toBe(200);
  expect(history.body.items.map((i) => i.alert.id)).toContain(alert.id);
  const resolved = await sendJson<{ alert: Alert }>(`${system.baseUrl}/api/alerts/${alert.id}/resolve`, { note: 'the cell is gone from the city' }, token);
  expect(resolved.status).toBe(200);
  expect(resolved.body.alert.state).toBe('resolved');
  // and the map's grid is served without it
  const grid = await getJson<{ features: { properties: { id: string } }[] }>(`${system.baseUrl}/api/grid`, token);
  expect(grid.body.features.map((f) => f.properties.id)).not.toContain(GONE);
});
