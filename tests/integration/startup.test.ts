// Proves the process contract: bad environment or city files stop start-up with every problem named;
// the demo city's public passwords or .env.example's placeholder secrets are never served beyond
// loopback unless CITYGRID_DEMO=1; the embedded mode with its simulator starts, serves live data,
// and stops cleanly on SIGINT.
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import type { DevicesResponse } from '@citygrid/contract';
import { DEMO_CITY, ROOT, getJson, login, tempDir, waitFor } from '../helpers/system.js';

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function runServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', PORT: '0', MQTT_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

it('refuses bad environment values, listing every problem at once', async () => {
  const run = runServer({ PORT: 'eighty', STORE: 'mongo', SIMULATE: 'maybe' });
  expect(await run.exited).toBe(1);
  expect(run.output()).toContain('PORT');
  expect(run.output()).toContain('STORE');
  expect(run.output()).toContain('SIMULATE');
});

it('refuses a bad city file, naming the file, the entry and the problem', async () => {
  const city = tempDir();
  dirs.push(city);
  cpSync(DEMO_CITY, city.path, { recursive: true });
  const devices = readFileSync(join(city.path, 'devices.yaml'), 'utf8')
    .replace('kind: water_level', 'kind: water_levl')
    .replace(/location: \[[^\]]+\]/, 'location: [100.0, 20.0]');
  writeFileSync(join(city.path, 'devices.yaml'), devices);
  const run = runServer({ CITY_DIR: city.path, DATA_DIR: city.path });
  expect(await run.exited).toBe(1);
  const out = run.output();
  expect(out).toMatch(/devices\.yaml: entry \d+ \(id [a-z]+-\d+\) field kind/);
  expect(out).toMatch(/devices\.yaml: entry \d+ \(id [a-z]+-\d+\): location \[100, 20\] is not inside (any grid cell|its grid [a-z]+-\d+)/);
});

it.each([
  { what: 'the demo city on all interfaces (HOST)', env: { HOST: '0.0.0.0' }, says: ['0.0.0.0 (HOST)', 'the demo city', 'CITYGRID_DEMO=1'] },
  { what: 'the demo city\'s broker on all interfaces (MQTT_HOST)', env: { MQTT_HOST: '0.0.0.0' }, says: ['0.0.0.0 (MQTT_HOST)', 'the demo city'] },
  { what: 'a placeholder secret from .env.example, with a city of its own', env: { HOST: '0.0.0.0', AUTH_SECRET: 'demo-only-auth-secret-0123456789-abcdef', own: '1' }, says: ['AUTH_SECRET', 'placeholder'] },
] as { what: string; env: Record<string, string>; says: string[] }[])('refuses to serve $what, naming it and the way out', async ({ env: { own, ...env }, says }) => {
  const data = tempDir();
  dirs.push(data);
  let cityDir = DEMO_CITY;
  if (own) {
    cityDir = join(data.path, 'city');
    cpSync(DEMO_CITY, cityDir, { recursive: true });
    writeFileSync(join(cityDir, 'city.yaml'), readFileSync(join(cityDir, 'city.yaml'), 'utf8').replace('demo: true', 'demo: false'));
  }
  const run = runServer({ DATA_DIR: data.path, CITY_DIR: cityDir, ...env });
  expect(await run.exited).toBe(1);
  for (const part of says) expect(run.output()).toContain(part);
  expect(run.output()).not.toContain('demo-only-auth-secret'); // the secret's name, never its value
});

it('serves the demo city beyond loopback when CITYGRID_DEMO=1 says so (positive control)', async () => {
  const data = tempDir();
  dirs.push(data);
  const run = runServer({ DATA_DIR: data.path, HOST: '0.0.0.0', CITYGRID_DEMO: '1', LOG_LEVEL: 'info' });
  await waitFor(() => /CityGrid is live/.test(run.output()), 'the "live" line', 30_000);
  run.child.kill('SIGINT');
  expect(await run.exited).toBe(0);
});

it('runs the embedded mode with the simulator and stops cleanly on SIGINT', async () => {
  const data = tempDir();
  dirs.push(data);
  const run = runServer({ SIMULATE: '1', SIMULATE_INTERVAL: '1s', DATA_DIR: data.path, LOG_LEVEL: 'info' });
  const port = await waitFor(() => /CityGrid is live: http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1], 'the "live" line', 30_000);
  const token = await login(`http://127.0.0.1:${port}`, 'viewer');
  const fresh = await waitFor(async () => {
    const { body } = await getJson<DevicesResponse>(`http://127.0.0.1:${port}/api/devices`, token);
    const now = Date.now();
    const n = body.devices.filter((d) => d.lastSeen !== null && now - d.lastSeen < 15_000).length;
    return n >= 300 ? n : null;
  }, '300 devices with fresh readings', 30_000);
  expect(fresh).toBeGreaterThanOrEqual(300);

  run.child.kill('SIGINT');
  expect(await run.exited).toBe(0);
  expect(run.output()).toContain('stopped cleanly');
  const db = new Database(join(data.path, 'citygrid.db'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBeGreaterThan(300);
  } finally {
    db.close();
  }
});
