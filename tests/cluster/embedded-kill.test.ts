// Proves `npm start` acknowledges only what it keeps: the one process (broker, server, SQLite) is
// killed with SIGKILL mid-stream under QoS 1 load, ten times in a row, and started again on the same
// ports and data; after each restart every reading a device was acknowledged is stored exactly once
// (one device sends no ts, so a reading taken twice would be a second row with its seq).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load.js';
import { freePort, startChild, type Child } from '../helpers/processes.js';
import { DEMO_CITY, tempDir, waitFor } from '../helpers/system.js';

const KILLS = Number(process.env.EMBEDDED_KILLS ?? 10);
const DEVICES = ['wl-0011', 'wl-0012', 'wl-0013'];
const RATE = 340; // readings/s per device: about 1,000/s in all
const data = tempDir();
let mqttPort: number;
let httpPort: number;
let server: Child;

const start = () => startChild('scripts/start.mjs', {
  PORT: String(httpPort), MQTT_PORT: String(mqttPort), MQTTS_PORT: 'off', DATA_DIR: data.path, CITY_DIR: DEMO_CITY,
  // without the demo simulator: it would publish as the same devices, with its own seq
  SIMULATE: '0', MQTT_DEVICE_RATE: '0', LOG_LEVEL: 'info', AUTH_SECRET: 'embedded-kill-auth-secret-0123456789-abcdef',
}, 'CityGrid is live');

/** Per device, for seq taken since t0: rows, distinct seq, and how many seq are stored more than once. */
function stored(t0: number): Map<string, { rows: number; distinct: number; twice: number }> {
  const db = new Database(`${data.path}/citygrid.db`, { readonly: true, fileMustExist: true });
  try {
    const q = db.prepare("SELECT count(*) AS rows, count(DISTINCT seq) AS d FROM readings WHERE device = ? AND metric = 'level_cm' AND ts >= ?");
    const twice = db.prepare("SELECT count(*) AS n FROM (SELECT seq FROM readings WHERE device = ? AND metric = 'level_cm' AND ts >= ? GROUP BY seq HAVING count(*) > 1)");
    return new Map(DEVICES.map((d) => {
      const r = q.get(d, t0) as { rows: number; d: number };
      return [d, { rows: r.rows, distinct: r.d, twice: (twice.get(d, t0) as { n: number }).n }];
    }));
  } finally {
    db.close();
  }
}

/** The seq stored for `device` since t0. */
function storedSeqs(t0: number, device: string): Set<number> {
  const db = new Database(`${data.path}/citygrid.db`, { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare("SELECT DISTINCT seq FROM readings WHERE device = ? AND metric = 'level_cm' AND ts >= ?").all(device, t0) as { seq: number }[]).map((r) => r.seq));
  } finally {
    db.close();
  }
}

/** The acknowledged seq of `device` that are not stored. */
const missing = (t0: number, device: string, acked: number[]) => {
  const have = storedSeqs(t0, device);
  return acked.filter((seq) => !have.has(seq));
};

beforeAll(async () => {
  [mqttPort, httpPort] = [await freePort(), await freePort()];
  server = await start();
}, 120_000);

afterAll(async () => {
  await server?.kill('SIGINT');
  data.remove();
});

describe('npm start killed with SIGKILL mid-stream', () => {
  it(`keeps every acknowledged reading exactly once, ${KILLS} times in a row`, async () => {
    const t0 = Date.now() - 3_600_000;
    // the first device sends no ts: stamped on receipt, with seq
    const load = await startLoad(`mqtt://127.0.0.1:${mqttPort}`, DEVICES, RATE, t0, { stamped: DEVICES.slice(0, 1) });
    const after: string[] = [];
    try {
      for (let k = 1; k <= KILLS; k++) {
        const before = load.acked();
        await waitFor(() => load.acked() > before + 500, `readings acknowledged before kill ${k}`, 60_000, 20);
        await server.kill('SIGKILL'); // mid-stream: readings in flight, some committed and not yet acknowledged
        const atKill = load.ackedSeqs();
        server = await start();
        // what was acknowledged before the kill is there, once
        for (const d of DEVICES) expect(missing(t0, d, atKill.get(d)!), `${d}: acknowledged before kill ${k}, not stored`).toEqual([]);
        const s = stored(t0);
        after.push(`kill ${k}: ${DEVICES.map((d) => `${d} ${atKill.get(d)!.length} acked, ${s.get(d)!.twice} twice`).join('; ')}`);
        for (const d of DEVICES) expect(s.get(d)!.twice, `${d}: seq stored twice after kill ${k}`).toBe(0);
      }
      const acked = await load.stop();
      // at the end: every acknowledged reading once, and nothing stored twice
      const final = await waitFor(() => {
        const s = stored(t0);
        return DEVICES.every((d) => s.get(d)!.distinct >= acked.get(d)!) ? s : null;
      }, 'every acknowledged reading stored', 60_000, 250);
      console.log(`embedded-kill: ${after.join('\n  ')}\n  final: ${JSON.stringify([...final])}, acked ${JSON.stringify([...acked])}`);
      const ackedSeqs = load.ackedSeqs();
      for (const d of DEVICES) {
        expect(final.get(d)!.twice, d).toBe(0);
        expect(final.get(d)!.rows, d).toBe(final.get(d)!.distinct);
        expect(missing(t0, d, ackedSeqs.get(d)!), d).toEqual([]);
      }
    } finally {
      await load.stop();
    }
  }, 900_000);
});
