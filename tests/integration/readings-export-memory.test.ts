// Proves a readings export streams: a device with 1,000,000 stored readings is exported as one CSV by
// the server running as `npm start` runs it (its own process, its SQLite store), and the server's
// resident memory grows by at most 50 MB while it writes the file (from a server that has written a
// 100,000-row export before: the growth with the rows, not V8's first expansion, which is logged),
// also while the client stops reading for a while mid-file (the server then waits for 'drain' instead
// of buffering the rest); every row arrives once, in order. A client that leaves mid-file stops the
// export: its audit entry says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditEntry } from '@citygrid/contract';
import { SqliteStore } from '../../server/src/stores/sqlite.store.js';
import { freePort, startChild, type Child } from '../helpers/processes.js';
import { DEMO_CITY, login, tempDir, waitFor } from '../helpers/system.js';

const MB = 1024 * 1024;
const ROWS = 1_000_000;
const DEVICE = 'wl-0001';
const STEP_MS = 2000; // 1,000,000 readings over 23 days: within an export's 31
const T0 = Math.floor((Date.now() - 24 * 86_400_000) / 60_000) * 60_000;
const data = tempDir();
let server: Child;
let base: string;
let token: string;

/** The server process's resident memory (Linux: VmRSS), in bytes. */
const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))![1]) * 1024;

beforeAll(async () => {
  // the store's file as the server makes it, then a million readings written straight in, in one transaction
  await new SqliteStore({ path: join(data.path, 'citygrid.db'), writerThread: false }).close();
  const db = new Database(join(data.path, 'citygrid.db'));
  const insert = db.prepare('INSERT INTO readings (device, metric, ts, value, seq) VALUES (?, ?, ?, ?, NULL)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(DEVICE, 'level_cm', T0 + i * STEP_MS, (i % 500) / 10);
  })();
  db.close();
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  server = await startChild('server/src/main.ts', {
    PORT: String(httpPort), HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_HOST: '127.0.0.1', MQTTS_PORT: 'off', SIMULATE: '0',
    DATA_DIR: data.path, CITY_DIR: DEMO_CITY, LOG_LEVEL: 'info', AUTH_SECRET: 'export-auth-secret-0123456789-abcdefghijkl',
  }, 'CityGrid is live');
  token = await login(base, 'operator');
}, 120_000);

afterAll(async () => {
  await server?.kill('SIGINT');
  data.remove();
});

const url = (from: number, to: number) => `${base}/api/devices/${DEVICE}/readings.csv?from=${from}&to=${to}`;

it('streams a million readings with flat memory, waiting for a client that stops reading, and stops for one that leaves', async () => {
  // the baseline is a server that has written an export before (a tenth of this one): V8 grows its
  // young generation and old space for any sustained allocation, once, and keeps the pages. What is
  // measured then is whether memory grows with the rows; the growth from idle is logged too.
  const idle = rss();
  const WARM = ROWS / 10;
  const warm = await fetch(url(T0, T0 + WARM * STEP_MS), { headers: { authorization: `Bearer ${token}` } });
  expect((await warm.text()).split('\r\n').length).toBe(WARM + 2); // header, the rows, and the empty tail
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rss()); }, 20);

  const res = await fetch(url(T0, T0 + ROWS * STEP_MS), { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let lines = 0;
  let bytes = 0;
  let tail = '';
  let first = '';
  let last = '';
  let paused = false;
  let pausedPeak = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    const text = tail + decoder.decode(value, { stream: true });
    const parts = text.split('\r\n');
    tail = parts.pop()!;
    if (!first && parts.length > 1) first = parts[1]!;
    if (parts.length) last = parts[parts.length - 1]!;
    lines += parts.length;
    if (!paused && bytes > 8 * MB) {
      // stop reading for a while: a server that ignored backpressure would buffer the rest (~50 MB) meanwhile
      paused = true;
      const pauseStart = rss();
      await new Promise((r) => setTimeout(r, 3000));
      pausedPeak = rss() - pauseStart;
    }
  }
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  expect(tail).toBe('');
  expect(lines).toBe(ROWS + 1);
  expect(first.split(',').slice(1)).toEqual([String(T0), DEVICE, 'level_cm', '0', 'cm']);
  expect(last.split(',').slice(1)).toEqual([String(T0 + (ROWS - 1) * STEP_MS), DEVICE, 'level_cm', String(((ROWS - 1) % 500) / 10), 'cm']);
  console.log(`readings export: ${ROWS} rows, ${(bytes / MB).toFixed(1)} MB; server RSS idle ${(idle / MB).toFixed(0)} MB, after a ${WARM}-row export ${(before / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB; during a 3 s pause +${(pausedPeak / MB).toFixed(1)} MB`);
  expect(peak - before, 'RSS growth while writing the file (bytes)').toBeLessThanOrEqual(50 * MB);
  expect(pausedPeak, 'RSS growth while the client did not read (bytes)').toBeLessThanOrEqual(20 * MB);

  // a client that leaves after the first megabytes: the export stops, and says so in the audit log
  const abort = new AbortController();
  const left = await fetch(url(T0, T0 + ROWS * STEP_MS), { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const leaving = left.body!.getReader();
  for (let got = 0; got < 2 * MB;) got += (await leaving.read()).value?.length ?? Infinity;
  abort.abort();
  const admin = await login(base, 'admin');
  const cut = await waitFor(async () => {
    const { entries } = (await (await fetch(`${base}/api/audit?action=export`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { entries: AuditEntry[] };
    return entries.find((e) => e.note?.includes('cut short'));
  }, 'the cut export in the audit log', 30_000);
  expect(cut).toMatchObject({ user: 'operator', action: 'export', target: DEVICE });
  expect(Number(/^(\d+) readings/.exec(cut.note!)![1])).toBeLessThan(ROWS);
}, 110_000);
