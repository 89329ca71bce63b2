// Cluster mode under load, process by process: 3 nats-server nodes (JetStream, R3), Debian's influxd
// and redis-server, 2 edges (`npm run broker` with BUS_URL) and 3 server replicas, all on free
// loopback ports. 200 demo devices publish QoS 1 readings with seq (some without ts, stamped at the
// edge) to either edge, and a browser socket on one replica watches the city. Then, one at a time: a
// replica is killed with SIGKILL, an edge, the NATS node leading the stream, and Redis; then every
// replica is restarted, one after another. Checked (besides sessions, sign-in back-off and the per-user
// socket cap shared through Redis):
// each partition is consumed by one replica at a time (from the replicas' own logs), a dead
// replica's partitions are owned again within 15 s, the browser gets readings processed by the
// other replicas (again within 10 s of Redis coming back), and every acknowledged reading is in
// InfluxDB exactly once.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTITIONS, deviceTopic, partitionOf, type ReportFiled, type ReportReceipt, type Alert, type AlertSocketEvent, type HealthResponse, type OpenConditions, type ReadingEvent } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { startInflux, type TestInflux } from '../helpers/influx.js';
import { startLoad, type Load } from '../helpers/load.js';
import { startNats, type TestNats } from '../helpers/nats.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { fileReport } from '../helpers/reports.js';
import { freePort, startChild, type Child } from '../helpers/processes.js';
import { connectDevice, connectSocket, DEMO_CITY, end, getJson, login, sendJson, tempDir, waitFor, type CitySocket } from '../helpers/system.js';

const pad = (n: number) => String(n).padStart(4, '0');
const KINDS = [
  { prefix: 'wl', count: 40, measurement: 'water_level', metric: 'level_cm' },
  { prefix: 'bin', count: 70, measurement: 'waste_bin', metric: 'fill_pct' },
  { prefix: 'aq', count: 45, measurement: 'air_quality', metric: 'pm25' },
  { prefix: 'trf', count: 45, measurement: 'traffic', metric: 'flow' },
];
const DEVICES = KINDS.flatMap((k) => Array.from({ length: k.count }, (_, i) => `${k.prefix}-${pad(i + 1)}`));
const kindOf = (id: string) => KINDS.find((k) => id.startsWith(`${k.prefix}-`))!;
// a few of each kind send no ts: stamped at the edge, so a reading stored twice would be a second point
const STAMPED = KINDS.flatMap((k) => Array.from({ length: 5 }, (_, i) => `${k.prefix}-${pad(i + 1)}`));
const RATE = 2; // readings/s per device: 400/s in all
const AUTH_SECRET = 'cluster-test-auth-secret-0123456789-abcdefgh';
const DB = 'cluster';

let nats: TestNats;
let influx: TestInflux;
let redis: TestRedis;
const city = loadCity(DEMO_CITY);
const partitionOfDevice = (id: string) => partitionOf(city.devicesById.get(id)!.grid);
const dirs: { remove(): void }[] = [];
const edges: { port: number; child: Child | null }[] = [];
const replicas: { name: string; port: number; data: string; child: Child | null }[] = [];

function startEdge(port: number): Promise<Child> {
  return startChild('broker/src/main.ts', {
    MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: '0', CITY_DIR: DEMO_CITY, BUS_URL: nats.url, BUS_REPLICAS: '3',
    MQTT_DEVICE_RATE: '0', LOG_LEVEL: 'info',
  }, 'MQTT broker listening');
}

function startReplica(r: { port: number; data: string }): Promise<Child> {
  return startChild('server/src/main.ts', {
    PORT: String(r.port), HOST: '127.0.0.1', CITY_DIR: DEMO_CITY, DATA_DIR: r.data, BUS_URL: nats.url, BUS_REPLICAS: '3',
    STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: DB, AUTH_SECRET, REDIS_URL: redis.url, SIMULATE: '0', LOG_LEVEL: 'info',
    REPORTS: '1', REPORT_POW_BITS: '4',
  }, 'CityGrid is live', 90_000);
}

async function health(port: number): Promise<HealthResponse | null> {
  const res = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
  return res ? (await res.json()) as HealthResponse : null;
}

/** The partitions each live replica says it owns now. */
async function ownership(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const r of replicas) {
    if (!r.child) continue;
    const h = await health(r.port);
    if (h?.cluster) out.set(r.name, h.cluster.partitions);
  }
  return out;
}

const complete = (own: Map<string, number[]>) => {
  const all = [...own.values()].flat();
  return new Set(all).size === PARTITIONS && all.length === PARTITIONS;
};

/** From every replica's log (pino JSON lines): when it took and gave up each partition. */
function ownershipIntervals(): Map<number, { replica: string; from: number; to: number }[]> {
  const out = new Map<number, { replica: string; from: number; to: number }[]>();
  const add = (p: number, v: { replica: string; from: number; to: number }) => (out.get(p) ?? out.set(p, []).get(p)!).push(v);
  for (const r of replicas) {
    const runs = [...ended.get(r.name) ?? [], ...(r.child ? [{ text: r.child.output(), end: Date.now() }] : [])];
    for (const run of runs) {
      const open = new Map<number, number>();
      for (const l of run.text.split('\n')) {
        if (!l.startsWith('{') || !l.includes('"partition"')) continue;
        const e = JSON.parse(l) as { time: number; partition: number; msg: string };
        if (e.msg === 'partition owned') open.set(e.partition, e.time);
        else if (e.msg === 'partition given up' && open.has(e.partition)) {
          add(e.partition, { replica: r.name, from: open.get(e.partition)!, to: e.time });
          open.delete(e.partition);
        }
      }
      // still held when the process ended (killed: it never said so)
      for (const [p, from] of open) add(p, { replica: r.name, from, to: run.end });
    }
  }
  return out;
}
/** The output of each replica's earlier runs, and when each ended (killed or stopped). */
const ended = new Map<string, { text: string; end: number }[]>();
/** Stops a replica's process with `signal` and keeps its output for ownershipIntervals. */
async function stopReplica(r: { name: string; child: Child | null }, signal: NodeJS.Signals): Promise<void> {
  const text = r.child!.output();
  await r.child!.kill(signal);
  ended.set(r.name, [...ended.get(r.name) ?? [], { text: r.child!.output() || text, end: Date.now() }]);
  r.child = null;
}

/** Points waiting in a replica's InfluxDB spool (DATA_DIR/spool/*.lp). */
function spoolPoints(dataDir: string): number {
  const spool = join(dataDir, 'spool');
  if (!existsSync(spool)) return 0;
  let n = 0;
  for (const f of readdirSync(spool)) {
    if (!f.endsWith('.lp')) continue;
    try {
      n += readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean).length;
    } catch { /* sent and removed meanwhile */ }
  }
  return n;
}

/** Per device: the seq stored since t0 and how many points. */
async function stored(t0: number): Promise<Map<string, { points: number; seqs: Set<number> }>> {
  const out = new Map<string, { points: number; seqs: Set<number> }>();
  for (const k of KINDS) {
    const [r] = await influx.query(`SELECT "seq", "device" FROM "${k.measurement}" WHERE time >= ${t0}ms AND "${k.metric}" >= 0`, DB);
    for (const s of r?.series ?? []) {
      const iSeq = s.columns.indexOf('seq');
      const iDev = s.columns.indexOf('device');
      for (const v of s.values) {
        const d = v[iDev] as string;
        const e = out.get(d) ?? out.set(d, { points: 0, seqs: new Set() }).get(d)!;
        e.points++;
        e.seqs.add(v[iSeq] as number);
      }
    }
  }
  return out;
}

beforeAll(async () => {
  [nats, influx, redis] = await Promise.all([startNats(3), startInflux(DB), startRedis()]);
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    edges.push({ port, child: await startEdge(port) });
  }
  for (let i = 0; i < 3; i++) {
    const dir = tempDir('citygrid-replica-');
    dirs.push(dir);
    const r = { name: `r${i + 1}`, port: await freePort(), data: dir.path, child: null as Child | null };
    replicas.push(r);
  }
  // started together, as a rolling deploy would not: the leases sort it out. A replica that cannot
  // reach JetStream at start exits (a JetStream request timed out while the three nodes were still
  // electing the streams' leaders: seen once in CI); its supervisor (compose: restart) starts it again,
  // and so does this test, once
  await Promise.all(replicas.map(async (r) => {
    r.child = await startReplica(r).catch(async (err: Error) => {
      if (!/exited with/.test(err.message)) throw err;
      console.warn(`${r.name} exited at start, started again: ${err.message.split('\n').find((l) => l.includes('failed to start')) ?? err.message.split('\n')[0]}`);
      await new Promise((res) => setTimeout(res, 2_000));
      return startReplica(r);
    });
  }));
}, 240_000);

afterAll(async () => {
  if (process.env.CLUSTER_DEBUG_DIR) {
    // never in the way of stopping the processes below
    try {
      mkdirSync(process.env.CLUSTER_DEBUG_DIR, { recursive: true });
      for (const r of replicas) {
        const runs = [...ended.get(r.name) ?? [], ...(r.child ? [{ text: r.child.output(), end: Date.now() }] : [])];
        runs.forEach((run, i) => writeFileSync(join(process.env.CLUSTER_DEBUG_DIR!, `${r.name}-${i}.log`), run.text));
      }
    } catch (err) {
      console.error(`CLUSTER_DEBUG_DIR: ${(err as Error).message}`);
    }
  }
  for (const r of replicas) await r.child?.kill('SIGTERM');
  for (const e of edges) await e.child?.kill('SIGTERM');
  await nats?.remove();
  await influx?.remove();
  await redis?.remove();
  for (const d of dirs) d.remove();
});

describe('cluster mode: 3 NATS nodes, 2 edges, 3 replicas, InfluxDB', () => {
  let load: Load;
  let socket: CitySocket;
  const seen: { at: number; device: string }[] = [];
  /** Readings the r2 browser got since `since` for devices of partitions r2 does not own. */
  const fromOthers = async (since: number) => {
    const mine = new Set((await health(replicas[1]!.port))!.cluster!.partitions);
    return seen.filter((s) => s.at >= since && !mine.has(partitionOfDevice(s.device))).length;
  };
  const t0 = Date.now() - 3_600_000;
  const figures: string[] = [];

  it('shares the partitions among the replicas, each owned by exactly one', async () => {
    const own = await waitFor(async () => {
      const o = await ownership();
      return o.size === 3 && complete(o) && [...o.values()].every((l) => l.length > 0) ? o : null;
    }, 'all partitions owned, once each, by 3 replicas', 60_000, 250);
    figures.push(`shares: ${[...own].map(([r, l]) => `${r} ${l.length}`).join(', ')}`);
    for (const l of own.values()) expect(l.length, 'a replica\'s share of 64 (about a third)').toBeGreaterThanOrEqual(8);
  }, 90_000);

  it('signs in on one replica for all of them, and a sign-out on one ends the session everywhere (sessions in Redis)', async () => {
    const [a, b] = [`http://127.0.0.1:${replicas[1]!.port}`, `http://127.0.0.1:${replicas[2]!.port}`];
    const token = await login(a, 'operator');
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${b}/api/alerts`, { headers: auth })).status, 'a token from replica A on replica B').toBe(200);
    const onB = await connectSocket(b, token);
    const closed = new Promise<string>((res) => onB.once('disconnect', (why) => res(why)));
    expect((await sendJson(`${a}/api/auth/logout`, undefined, token)).status).toBe(204);
    expect((await fetch(`${b}/api/alerts`, { headers: auth })).status, 'the signed-out token on replica B').toBe(401);
    expect(await closed, 'the socket on replica B ended by the sign-out on A').toBe('io server disconnect');
  }, 60_000);

  it('holds one user to 10 live connections across all replicas, not 10 on each (socket places in Redis)', async () => {
    const urls = replicas.map((r) => `http://127.0.0.1:${r.port}`);
    const token = await login(urls[0]!, 'viewer');
    const open: CitySocket[] = [];
    try {
      for (let i = 0; i < 10; i++) open.push(await connectSocket(urls[i % 3]!, token)); // 4 + 3 + 3
      for (const url of urls) {
        await expect(connectSocket(url, token), `the 11th on ${url}`).rejects.toThrow(/Too many live connections for viewer: at most 10/);
      }
      open.pop()!.close(); // one place given back (on r1): another replica may take it
      await waitFor(async () => connectSocket(urls[1]!, token).then((s) => { open.push(s); return true; }, () => false), 'a place given back on one replica taken on another', 10_000, 200);
    } finally {
      for (const s of open) s.close();
    }
  }, 60_000);

  it('backs off a password guesser on every replica, however the guesses are spread (back-off in Redis)', async () => {
    const urls = replicas.map((r) => `http://127.0.0.1:${r.port}`);
    const guess = (url: string) => fetch(`${url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'guesser', password: 'not-the-password' }),
    });
    // the first 5 failures are free, wherever they land
    for (let i = 0; i < 5; i++) expect((await guess(urls[i % urls.length]!)).status, `guess ${i + 1}`).toBe(401);
    for (const url of urls) {
      const refused = await guess(url);
      expect(refused.status, `the 6th guess, on ${url}`).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(20);
    }
  }, 60_000);

  // a gas detector in a cell of the replica that will be killed, reporting an explosive level
  let gasAlert: Alert;
  let gasTimer: NodeJS.Timeout | null = null;
  let gasClient: Awaited<ReturnType<typeof connectDevice>> | null = null;
  const alertsOn = async (i: number, token: string) => (await getJson<{ alerts: Alert[] }>(`http://127.0.0.1:${replicas[i]!.port}/api/alerts?state=all&limit=500`, token)).body.alerts;

  it('serves every alert from any replica; an ack made on one reaches the owner once, a browser on another within 1 s, the audit log once', async () => {
    const victimParts = new Set((await health(replicas[0]!.port))!.cluster!.partitions);
    const gas = city.devices.find((d) => d.kind === 'gas' && victimParts.has(partitionOf(d.grid)))!;
    expect(gas, 'a gas detector in a cell the first replica owns').toBeDefined();
    gasClient = await connectDevice(`mqtt://127.0.0.1:${edges[1]!.port}`, gas.id, `demo-${gas.id}`, {
      reconnectPeriod: 500, servers: edges.map((e) => ({ host: '127.0.0.1', port: e.port })),
    });
    const send = () => gasClient!.publish(deviceTopic(gas.id, 'telemetry'), JSON.stringify({ metrics: { ch4: 40 } }), { qos: 1 });
    send();
    gasTimer = setInterval(send, 1000);
    const [r2, r3] = [`http://127.0.0.1:${replicas[1]!.port}`, `http://127.0.0.1:${replicas[2]!.port}`];
    const token2 = await login(r2, 'admin');
    const token3 = await login(r3, 'admin');
    // raised by the owner (r1), served by r2, which does not own the cell
    gasAlert = await waitFor(async () => (await alertsOn(1, token2)).find((a) => a.rule === 'gas-leak' && a.devices.includes(gas.id) && a.state === 'firing'), 'the gas alert on replica r2', 60_000, 250);
    expect((await alertsOn(2, token3)).some((a) => a.id === gasAlert.id), 'the same alert on replica r3').toBe(true);
    // the open data on r3, without sign-in: the alert counted in its district (from the city-wide alert
    // stream), the cell's condition from the readings r1 wrote to InfluxDB
    const open = await waitFor(async () => {
      const c = (await getJson<OpenConditions>(`${r3}/api/open/conditions`)).body;
      return c.districts.find((d) => d.id === gas.district)?.openAlerts[gasAlert.severity] && c.cells.find((x) => x.id === gas.grid)?.condition === 'alarm' ? c : null;
    }, 'the gas alert and its cell in the open data of r3', 10_000, 250);
    expect(open.cells).toHaveLength(city.cells.length);
    // a browser on r3; the ack through r2
    const browser = await connectSocket(r3, token3);
    const seenAck = new Promise<number>((res) => browser.on('alert', (e: AlertSocketEvent) => { if (e.alert.id === gasAlert.id && e.event === 'acknowledged') res(Date.now()); }));
    const operator = await login(r2, 'operator');
    const acked = Date.now();
    const res = await sendJson<{ alert: Alert }>(`${r2}/api/alerts/${gasAlert.id}/ack`, { note: 'crew on the way' }, operator);
    expect(res.status).toBe(200);
    expect(res.body.alert).toMatchObject({ id: gasAlert.id, state: 'acknowledged', acknowledgedBy: 'operator' });
    const seenAfter = (await Promise.race([seenAck, new Promise<number>((r) => setTimeout(() => r(Infinity), 5_000))])) - acked;
    figures.push(`ack through r2 seen by the browser on r3 after ${seenAfter} ms`);
    expect(seenAfter, 'ms from the ack on r2 to the event in the browser on r3').toBeLessThan(1_000);
    browser.close();
    // the same ack again (a retry): no second event, no second audit entry
    const again = await sendJson<{ alert: Alert }>(`${r2}/api/alerts/${gasAlert.id}/ack`, { note: 'again' }, operator);
    expect(again.body.alert.state).toBe('acknowledged');
    const history = (await getJson<{ history: { type: string }[] }>(`${r3}/api/alerts/${gasAlert.id}`, token3)).body.history;
    expect(history.filter((e) => e.type === 'acknowledged'), 'acknowledged events of the alert').toHaveLength(1);
    // the audit log is the city's on every replica (a stream each replica's audit.db takes in): once on each
    for (const r of replicas) {
      const base = `http://127.0.0.1:${r.port}`;
      const admin = await login(base, 'admin');
      const count = async () => (await getJson<{ entries: { action: string; target: string }[] }>(`${base}/api/audit?action=acknowledge`, admin)).body.entries.filter((e) => e.target === gasAlert.id).length;
      await waitFor(async () => (await count()) >= 1, `the ack in ${r.name}'s audit log`, 10_000, 100);
      expect(await count(), `audit entries of the ack on ${r.name}`).toBe(1);
    }
    // a maintenance window started on r3 is listed on r2 and suppresses the alert at its owner (r1)
    const started = await sendJson<{ window: { id: string } }>(`${r3}/api/maintenance`, { grid: gas.grid, for: '10m', reason: 'cluster test' }, await login(r3, 'operator'));
    expect(started.status).toBe(201);
    const listed = (await getJson<{ windows: { id: string }[] }>(`${r2}/api/maintenance`, token2)).body.windows;
    expect(listed.map((w) => w.id)).toContain(started.body.window.id);
    await waitFor(async () => (await alertsOn(1, token2)).find((a) => a.id === gasAlert.id)?.suppressed === true, 'the alert suppressed by its owner', 10_000, 100);
    expect((await sendJson(`${r2}/api/maintenance/${started.body.window.id}`, {}, operator, 'DELETE')).status).toBe(204);
    await waitFor(async () => (await alertsOn(2, token3)).find((a) => a.id === gasAlert.id)?.suppressed === false, 'the alert no longer suppressed', 10_000, 100);
    // the closed loop through replicas that do not own the cell, each step applied once by the owner:
    // dispatched on r3 to another cell's worker, who acknowledges on r2; handled by the cell's own worker
    // on r2 (red: it waits for verification); sent back by the supervisor on r3 (acknowledged again, as
    // the takeover below expects it)
    const other = city.people.find((p) => p.role === 'gridworker' && p.grids?.length && !p.grids.includes(gas.grid))!;
    const step = async (base: string, user: string, action: string, body: Record<string, string>) => {
      const res = await sendJson<{ alert: Alert }>(`${base}/api/alerts/${gasAlert.id}/${action}`, body, await login(base, user));
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body.alert;
    };
    expect(await step(r3, 'operator', 'dispatch', { to: other.username, note: 'nearest crew' })).toMatchObject({ assignees: [other.username], dispatchedBy: 'operator', state: 'firing' });
    expect(await step(r2, other.username, 'ack', {})).toMatchObject({ state: 'acknowledged', acknowledgedBy: other.username });
    expect(await step(r2, `gw-${gas.grid}`, 'resolve', { note: 'valve shut' })).toMatchObject({ state: 'handled', handledBy: `gw-${gas.grid}` });
    expect(await step(r3, `sup-${gas.district}`, 'send-back', { note: 'still smells of gas' })).toMatchObject({ state: 'acknowledged', handledBy: null });
    const loop = (await getJson<{ history: { type: string; to?: string[] }[] }>(`${r2}/api/alerts/${gasAlert.id}`, token2)).body.history;
    expect(loop.filter((e) => ['dispatched', 'handled', 'sent_back'].includes(e.type)).map((e) => e.type)).toEqual(['dispatched', 'handled', 'sent_back']);
    expect(loop.find((e) => e.type === 'dispatched')!.to).toEqual([other.username]);
  }, 120_000);

  // residents' reports: filed through any replica, carried on the bus to the owner of the cell
  const fileThrough = async (replica: number, cell: string, text: string): Promise<ReportFiled> => {
    const res = await fileReport(`http://127.0.0.1:${replicas[replica]!.port}`, { category: 'waterlogging', cell, text });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const reportsAlertIn = async (cell: string, token: string) => (await alertsOn(1, token)).find((a) => a.rule === 'residents-waterlogging' && a.grid === cell && a.state !== 'resolved');
  /** A cell of the replica that will be killed, where two reports wait (counted) until after the kills. */
  let waitingCell = '';
  const waiting: string[] = [];

  it('routes a resident\'s report filed through any replica to the owner of its cell: three raise the reports alert there, and closing it through another closes every receipt', async () => {
    const own = await ownership();
    const ownerOf = (cell: string) => [...own].find(([, parts]) => parts.includes(partitionOf(cell)))![0];
    // cells without a water gauge (the load below raises flooding alerts, which a waterlogging report
    // would join instead of counting) and without a gas detector (the gas alert above)
    const cells = city.cells.map((c) => c.id).filter((id) => !city.devices.some((d) => d.grid === id && (d.kind === 'gas' || d.kind === 'water_level')));
    const cell = cells.find((id) => ownerOf(id) === 'r3')!;
    waitingCell = cells.find((id) => ownerOf(id) === 'r1')!;
    const r2 = `http://127.0.0.1:${replicas[1]!.port}`;
    const token = await login(r2, 'operator');
    const filed = [await fileThrough(0, cell, 'water over the kerb'), await fileThrough(1, cell, 'water at the school gate 13812345678')];
    expect(await reportsAlertIn(cell, token)).toBeUndefined();
    filed.push(await fileThrough(0, cell, 'cars stuck in the water'));
    const alert = await waitFor(() => reportsAlertIn(cell, token), 'the reports alert, raised by the owner r3', 10_000, 100);
    expect([...alert.reports!].sort()).toEqual(filed.map((f) => f.receipt).sort());
    expect(alert.assignees).toEqual([`gw-${cell}`]);
    await waitFor(async () => (await getJson<ReportReceipt>(`${r2}/api/public/reports/${filed[0]!.receipt}`)).body.status === 'in_hand' || null, 'the receipts in hand', 10_000, 100);
    // the grid worker resolves it through r1 (yellow: closed at once); every receipt, read on any replica, is closed with the outcome
    const worker = await login(`http://127.0.0.1:${replicas[0]!.port}`, `gw-${cell}`);
    const res = await sendJson<{ alert: Alert }>(`http://127.0.0.1:${replicas[0]!.port}/api/alerts/${alert.id}/resolve`, { note: 'drain cleared, call 13912345678' }, worker);
    expect(res.status).toBe(200);
    for (const f of filed) {
      const seen = await waitFor(async () => {
        const r = (await getJson<ReportReceipt>(`http://127.0.0.1:${replicas[2]!.port}/api/public/reports/${f.receipt}`)).body;
        return r.status === 'closed' ? r : null;
      }, 'the receipt closed', 10_000, 100);
      expect(seen.outcome).toBe('drain cleared, call [phone]');
    }
    // two reports in a cell of r1, which is killed next: counted there, not yet an alert
    waiting.push((await fileThrough(1, waitingCell, 'puddle by the bus stop')).receipt, (await fileThrough(2, waitingCell, 'road flooded')).receipt);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await reportsAlertIn(waitingCell, token)).toBeUndefined();
  }, 60_000);

  it('loses no acknowledged reading when a replica, an edge and the stream leader are killed in turn', async () => {
    // a browser on replica r2 (never killed) watches the whole city
    const watcher = replicas[1]!;
    socket = await connectSocket(`http://127.0.0.1:${watcher.port}`, await login(`http://127.0.0.1:${watcher.port}`, 'admin'));
    socket.on('reading', (e: ReadingEvent) => { seen.push({ at: Date.now(), device: e.device }); });
    load = await startLoad(`mqtt://127.0.0.1:${edges[0]!.port}`, DEVICES, RATE, t0, {
      stamped: STAMPED, metricOf: (id) => kindOf(id).metric,
      // devices list both edges: mqtt.js moves to the next on reconnect
      mqtt: { servers: edges.map((e) => ({ host: '127.0.0.1', port: e.port })), connectTimeout: 5_000 },
    });
    let before = load.acked();
    await waitFor(() => load.acked() > before + 2_000, 'readings flowing', 60_000, 100);
    const start = Date.now() - 5_000;
    await waitFor(async () => (await fromOthers(start)) > 50, 'the r2 browser receiving readings processed by the other replicas (Redis adapter)', 20_000, 200);

    // 1. a replica, with SIGKILL: the others take its partitions when its leases run out
    const victim = replicas[0]!;
    const had = (await health(victim.port))!.cluster!.partitions;
    // killed while its spool holds points not yet in InfluxDB (so acknowledging the stream before
    // InfluxDB has them would lose them)
    await waitFor(() => spoolPoints(victim.data) > 0, 'points in the replica\'s spool', 30_000, 10);
    await stopReplica(victim, 'SIGKILL');
    const killed = Date.now();
    // what it had taken and not yet written to InfluxDB: lines left in its own spool, never replayed
    // (it does not come back); only the stream's redelivery to the next owner can save them
    const leftInSpool = spoolPoints(victim.data);
    figures.push(`the killed replica left ${leftInSpool} points in its spool`);
    await waitFor(async () => complete(await ownership()), 'the dead replica\'s partitions owned again', 30_000, 100);
    const takeover = Date.now() - killed;
    figures.push(`replica kill: its ${had.length} partitions owned again after ${(takeover / 1000).toFixed(1)} s`);
    expect(takeover, 'ms until every partition was owned again').toBeLessThan(15_000);
    // the gas alert of the dead replica's cell: still open, still acknowledged, not raised again
    await new Promise((r) => setTimeout(r, 15_000)); // longer than the rule's hold time (10 s) after the takeover
    const token = await login(`http://127.0.0.1:${replicas[1]!.port}`, 'admin');
    const same = (await alertsOn(1, token)).filter((a) => a.rule === gasAlert.rule && a.key === gasAlert.key);
    expect(same.map((a) => ({ id: a.id, state: a.state })), 'alerts of the gas condition after the takeover').toEqual([{ id: gasAlert.id, state: 'acknowledged' }]);
    figures.push('the acknowledged gas alert of the dead replica\'s cell: still acknowledged, not raised twice');
    before = load.acked();
    await waitFor(() => load.acked() > before + 2_000, 'readings flowing after the replica kill', 60_000, 100);

    // 2. an edge, with SIGKILL: its devices move to the other
    await edges[0]!.child!.kill('SIGKILL');
    edges[0]!.child = null;
    before = load.acked();
    await waitFor(() => load.acked() > before + 3_000, 'readings flowing through the other edge', 90_000, 100);

    // 3. the NATS node leading the stream, with SIGKILL; then started again
    const leader = await nats.streamLeader('CITYGRID_IN');
    expect(leader, 'a stream leader').not.toBeNull();
    await leader!.stop('SIGKILL');
    before = load.acked();
    await waitFor(() => load.acked() > before + 3_000, 'readings flowing after the stream leader died', 90_000, 100);
    figures.push(`stream leader ${leader!.name} killed`);
    await leader!.start();

    // 4. Redis restarted: the browser on r2 receives the other replicas' readings again within 10 s.
    // First, every partition owned and the other live replica's readings reaching r2's browser: the
    // leader's death fences every lease (KV cannot renew while the stream elects), and the replicas
    // then take their partitions back. (Both used to fail now and then, and were recorded as figures:
    // the cause was not Redis but a takeover standing still for up to a minute after a NATS node
    // died, a lost pull or an unanswered JetStream request; server/src/bus/nats-bus.ts.)
    await waitFor(async () => {
      const o = await ownership();
      return complete(o) && o.size >= 2 && [...o.values()].every((l) => l.length > 0);
    }, 'the partitions shared among the live replicas', 30_000, 200);
    const flowing = Date.now();
    await waitFor(async () => (await fromOthers(flowing)) > 20, 'the other replica\'s readings reaching the r2 browser after the stream leader\'s death', 30_000, 100);
    figures.push(`after the leader's death, the other replica's readings reach the r2 browser ${((Date.now() - flowing) / 1000).toFixed(1)} s after the partitions were shared again`);
    await redis.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    const restarted = Date.now();
    await waitFor(async () => (await fromOthers(restarted)) > 20, 'readings from other replicas after Redis restarted', 10_000, 100);
    figures.push(`Redis restarted: other replicas' readings reach the r2 browser again after ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    // none of them went down with it (a publish in flight when Redis went away once ended a replica)
    for (const r of replicas) expect(r.child?.process.exitCode ?? null, `${r.name} still running`).toBeNull();
    expect(socket.connected, 'the browser\'s socket stayed up').toBe(true);
    socket.close();

    // 5. a rolling restart: the killed replica back, then each replica stopped (SIGTERM: it hands its
    // partitions over) and started again, one after another, readings flowing throughout
    victim.child = await startReplica(victim);
    for (const r of replicas) {
      if (r !== victim) {
        await stopReplica(r, 'SIGTERM');
        r.child = await startReplica(r);
      }
      await waitFor(async () => complete(await ownership()) && (await ownership()).size === 3, `all partitions owned after restarting ${r.name}`, 30_000, 100);
      before = load.acked();
      await waitFor(() => load.acked() > before + 1_000, `readings flowing after restarting ${r.name}`, 60_000, 100);
    }
    figures.push('rolling restart of r1, r2, r3 done');
    // and still one alert for the gas condition, acknowledged, after every replica was replaced
    await new Promise((r) => setTimeout(r, 12_000)); // past the rule's hold time on the last owner
    const after = await login(`http://127.0.0.1:${replicas[1]!.port}`, 'admin');
    const sameAfterRestart = (await alertsOn(1, after)).filter((a) => a.rule === gasAlert.rule && a.key === gasAlert.key);
    expect(sameAfterRestart.map((a) => ({ id: a.id, state: a.state })), 'alerts of the gas condition after the rolling restart').toEqual([{ id: gasAlert.id, state: 'acknowledged' }]);

    if (gasTimer) clearInterval(gasTimer);
    await end(gasClient ?? undefined);
    const acked = await load.stop();
    const ackedSeqs = load.ackedSeqs();
    const total = [...acked.values()].reduce((a, b) => a + b, 0);
    // what the dead replica had taken but not acknowledged comes back after JetStream's ack wait (30 s)
    let last = new Map<string, { points: number; seqs: Set<number> }>();
    await waitFor(async () => {
      last = await stored(t0);
      return DEVICES.every((d) => ackedSeqs.get(d)!.every((s) => last.get(d)?.seqs.has(s)));
    }, 'every acknowledged reading in InfluxDB', 120_000, 1000).catch(() => undefined);
    const missing = DEVICES.flatMap((d) => ackedSeqs.get(d)!.filter((s) => !last.get(d)?.seqs.has(s)).map((s) => `${d}#${s}`));
    const twice = DEVICES.filter((d) => (last.get(d)?.points ?? 0) !== (last.get(d)?.seqs.size ?? 0));
    figures.push(`${total} readings acknowledged; ${missing.length} missing, ${twice.length} devices with a seq stored twice`);
    console.log(`cluster: ${figures.join('\n  ')}`);
    expect(missing.slice(0, 20), 'acknowledged, not in InfluxDB').toEqual([]);
    expect(twice, 'devices with a reading stored twice').toEqual([]);
  }, 600_000);

  it('carried the reports\' count of a cell over the kills and the rolling restart: the third report raises the alert', async () => {
    const r2 = `http://127.0.0.1:${replicas[1]!.port}`;
    const token = await login(r2, 'operator');
    expect(await reportsAlertIn(waitingCell, token)).toBeUndefined();
    const third = await fileThrough(1, waitingCell, 'water rising by the bus stop');
    const alert = await waitFor(() => reportsAlertIn(waitingCell, token), 'the reports alert raised by the cell\'s new owner', 15_000, 100);
    expect([...alert.reports!].sort()).toEqual([...waiting, third.receipt].sort());
  }, 30_000);

  it('had every partition consumed by one replica at a time (from the replicas\' logs)', () => {
    const intervals = ownershipIntervals();
    expect(intervals.size).toBe(PARTITIONS);
    const overlaps: string[] = [];
    for (const [p, list] of intervals) {
      list.sort((a, b) => a.from - b.from);
      for (let i = 1; i < list.length; i++) {
        if (list[i]!.from < list[i - 1]!.to) overlaps.push(`partition ${p}: ${list[i - 1]!.replica} until ${list[i - 1]!.to}, ${list[i]!.replica} from ${list[i]!.from}`);
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('carried the rules\' state over to new owners from snapshots (from the replicas\' logs)', () => {
    const rebuilt = replicas.flatMap((r) => [...ended.get(r.name) ?? [], ...(r.child ? [{ text: r.child.output() }] : [])])
      .flatMap((run) => run.text.split('\n').filter((l) => l.includes('rule state rebuilt')).map((l) => JSON.parse(l) as { snapshot: { seq: number } | null; messages: number }));
    const fromSnapshot = rebuilt.filter((x) => x.snapshot);
    figures.push(`partitions taken over: ${rebuilt.length}, ${fromSnapshot.length} from the last owner's snapshot (then ${fromSnapshot.reduce((a, x) => a + x.messages, 0)} messages replayed in all), the rest from the last 30 min`);
    console.log(figures.at(-1));
    // the rolling restart comes well after the first snapshots (every 30 s): its takeovers use them
    expect(fromSnapshot.length, 'takeovers that started from a snapshot').toBeGreaterThan(0);
  });

  it('says on /metrics how long device messages waited between an edge and each replica', async () => {
    // the replicas restarted last are the ones running; readings flowed through each after its restart
    const counts = await Promise.all(replicas.map(async (r) => {
      const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
      return Number(/^citygrid_bus_lag_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
    }));
    expect(counts.every((n) => n > 0), `stream messages taken, per replica: ${counts.join(', ')}`).toBe(true);
  });
});
