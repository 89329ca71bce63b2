// Proves a restart costs only delay, as deployed with compose (broker and server as their own
// processes, SQLite store): under a steady QoS 1 load with sequence numbers, the server SIGKILLed and
// started again, then the broker stopped, then the broker SIGKILLed, each restarted on the same port.
// Devices and the server reconnect by themselves; every acknowledged reading is stored exactly once
// (each seq 0..n-1 once; one device per run sends no ts, so a reading taken twice would be a second
// row), the pipeline takes each once while the server stays up, and an alert acknowledged before the
// faults is still there, acknowledged.
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert, type LoginResponse } from '@citygrid/contract';
import { startLoad } from '../helpers/load.js';
import { freePort, startBrokerProcess, startServerProcess, type Child } from '../helpers/processes.js';
import { DEMO_CITY, connectDevice, end, publish, readMetrics, tempDir, waitFor } from '../helpers/system.js';

const RATE = 300; // readings/s per device
const data = tempDir();
let mqttPort: number;
let httpPort: number;
let broker: Child;
let server: Child;
let base: string;
let token: string;
let ackedAlert: Alert;

const startServer = () => startServerProcess({ httpPort, mqttPort, dataDir: data.path, cityDir: DEMO_CITY });

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(base + path, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...init.headers } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Per device: rows stored for t >= t0, distinct seq, lowest and highest seq (read beside the running server, WAL). */
function stored(devices: string[], t0: number): Map<string, { rows: number; distinct: number; min: number; max: number }> {
  const db = new Database(`${data.path}/citygrid.db`, { readonly: true, fileMustExist: true });
  try {
    const q = db.prepare("SELECT count(*) AS rows, count(DISTINCT seq) AS distinct_, min(seq) AS min, max(seq) AS max FROM readings WHERE device = ? AND metric = 'level_cm' AND ts >= ?");
    return new Map(devices.map((d) => {
      const r = q.get(d, t0) as { rows: number; distinct_: number; min: number; max: number };
      return [d, { rows: r.rows, distinct: r.distinct_, min: r.min, max: r.max }];
    }));
  } finally {
    db.close();
  }
}

async function expectExactlyOnce(acked: Map<string, number>, t0: number): Promise<void> {
  const devices = [...acked.keys()];
  let last = new Map<string, unknown>();
  await waitFor(() => {
    const s = stored(devices, t0);
    last = s;
    return devices.every((d) => s.get(d)!.rows === acked.get(d));
  }, 'every acknowledged reading stored', 60_000, 250).catch((err: Error) => {
    const tail = (c: Child) => c.output().split('\n').slice(-12).map((l) => l.slice(0, 240)).join('\n');
    throw new Error(`${err.message}: acked ${JSON.stringify([...acked])}, stored ${JSON.stringify([...last])}\n--- server ---\n${tail(server)}\n--- broker ---\n${tail(broker)}`);
  });
  for (const [d, n] of acked) expect(stored([d], t0).get(d), d).toEqual({ rows: n, distinct: n, min: 0, max: n - 1 });
}

/** Load for `ms` around a fault: readings flowing, the fault, recovery, more readings; returns what was acknowledged. */
async function underLoad(devices: string[], t0: number, fault: () => Promise<void>): Promise<Map<string, number>> {
  // the first device sends no ts: stamped on receipt, a reading taken twice would be two rows
  const load = await startLoad(`mqtt://127.0.0.1:${mqttPort}`, devices, RATE, t0, { stamped: devices.slice(0, 1) });
  await waitFor(() => load.acked() > RATE * devices.length, 'a second of readings before the fault');
  await fault();
  const after = load.acked();
  await waitFor(() => load.acked() > after + RATE * devices.length * 2, 'two seconds of readings after recovery', 60_000);
  return load.stop();
}

async function expectAlertIntact(): Promise<void> {
  const { alerts } = await api<{ alerts: Alert[] }>('/api/alerts?state=all');
  expect(alerts.find((a) => a.id === ackedAlert.id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator', rule: 'manhole-open' });
}

beforeAll(async () => {
  [mqttPort, httpPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  broker = await startBrokerProcess(mqttPort, DEMO_CITY);
  server = await startServer();
  token = ((await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo-operator' }) })).json()) as LoginResponse).token;
  // an alert, acknowledged before any fault
  const cover: MqttClient = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, 'mh-0003');
  await publish(cover, deviceTopic('mh-0003', 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 30 } }));
  await end(cover);
  const alert = await waitFor(async () => (await api<{ alerts: Alert[] }>('/api/alerts')).alerts.find((a) => a.key === 'mh-0003' && a.rule === 'manhole-open'), 'the manhole alert');
  ackedAlert = (await api<{ alert: Alert }>(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: JSON.stringify({ note: 'barrier on its way' }) })).alert;
  expect(ackedAlert.state).toBe('acknowledged');
}, 120_000);

afterAll(async () => {
  await server?.kill('SIGINT');
  await broker?.kill('SIGTERM');
  data.remove();
});

describe('restarts under a steady QoS 1 load', () => {
  it('loses and duplicates nothing when the server is SIGKILLed and started again, three times', async () => {
    const t0 = Date.now() - 3_600_000;
    const acked = await underLoad(['wl-0011', 'wl-0012', 'wl-0013'], t0, async () => {
      for (let k = 0; k < 3; k++) {
        // killed mid-stream: some readings acknowledged to the devices are still on their way to the store
        await server.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 1000)); // readings keep coming; the broker keeps them for the server's session
        server = await startServer();
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
    await expectExactlyOnce(acked, t0);
    await expectAlertIntact();
  });

  it.each([
    { how: 'stops (SIGTERM)', signal: 'SIGTERM' as const, hours: 2, devices: ['wl-0014', 'wl-0015', 'wl-0016'] },
    { how: 'is SIGKILLed', signal: 'SIGKILL' as const, hours: 3, devices: ['wl-0017', 'wl-0018', 'wl-0019'] },
  ])('loses and duplicates nothing when the broker $how and starts again; everyone reconnects by themselves', async ({ signal, hours, devices }) => {
    const t0 = Date.now() - hours * 3_600_000;
    const accepted0 = (await readMetrics(base))('citygrid_readings_accepted_total');
    const acked = await underLoad(devices, t0, async () => {
      await broker.kill(signal);
      await new Promise((r) => setTimeout(r, 1000));
      broker = await startBrokerProcess(mqttPort, DEMO_CITY);
    });
    await expectExactlyOnce(acked, t0);
    // the server stayed up: its pipeline took each acknowledged reading once (copies the devices
    // re-sent after the broker died are counted as duplicates instead), so the rules saw each once
    const m = await readMetrics(base);
    expect(m('citygrid_readings_accepted_total') - accepted0, 'readings taken by the pipeline').toBe([...acked.values()].reduce((a, b) => a + b, 0));
    await waitFor(async () => ((await (await fetch(`${base}/api/health`)).json()) as { broker: { connected: boolean } }).broker.connected, 'the server back on the broker');
    await expectAlertIntact();
  });
});
