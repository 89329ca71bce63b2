// `npm run bench:store [-- --points 200000]`: writes readings through the server's store layer into
// SQLite and into a real InfluxDB (Debian's influxd on a free port) and prints points/s and the p99
// latency from writeReadings() to "durable in the backend". The last line is one JSON object.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { InfluxStore, SqliteStore, type StoredReading, type TimeSeriesStore } from '@citygrid/server';
import { haveInfluxd, startInflux } from '../tests/helpers/influx.js';
import { tempDir } from '../tests/helpers/system.js';

const { values } = parseArgs({ options: { points: { type: 'string', default: '200000' }, chunk: { type: 'string', default: '1000' } } });
const POINTS = Number(values.points);
const CHUNK = Number(values.chunk); // readings written per event-loop turn, one writeReadings call each (as ingest does)
const DEVICES = 1000;

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;
}

async function run(name: string, make: (onWritten: (n: number) => void) => Promise<TimeSeriesStore>) {
  let durable = 0;
  const waiting: { upTo: number; at: number }[] = [];
  const latencies: number[] = [];
  const store = await make((n) => {
    durable += n;
    const now = performance.now();
    while (waiting.length && waiting[0]!.upTo <= durable) latencies.push(now - waiting.shift()!.at);
  });
  const t0 = Date.now() - 86_400_000;
  const start = performance.now();
  let written = 0;
  let callCost = 0;
  while (written < POINTS) {
    const at = performance.now();
    const n = Math.min(CHUNK, POINTS - written);
    for (let i = 0; i < n; i++) {
      const k = written + i;
      const r: StoredReading = { device: `wl-${k % DEVICES}`, kind: 'water_level', grid: `grid-${k % 100}`, district: `d-${k % 7}`, ts: t0 + Math.floor(k / DEVICES), metrics: { level_cm: (k % 300) / 10 }, seq: k };
      store.writeReadings([r]);
    }
    callCost += performance.now() - at;
    written += n;
    waiting.push({ upTo: written, at });
    await new Promise((r) => setImmediate(r));
  }
  await store.flush();
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  latencies.sort((a, b) => a - b);
  const result = {
    store: name,
    points: POINTS,
    points_per_s: Math.round(POINTS / seconds),
    p50_ms: Math.round(percentile(latencies, 0.5)),
    p99_ms: Math.round(percentile(latencies, 0.99)),
    ingest_us_per_point: Number(((callCost * 1000) / POINTS).toFixed(2)),
  };
  console.log(`${name.padEnd(7)} ${String(result.points_per_s).padStart(9)} points/s   p50 ${result.p50_ms} ms   p99 ${result.p99_ms} ms   ingest-side cost ${result.ingest_us_per_point} µs/point`);
  return result;
}

const logger = pino({ level: 'warn' });
const dir = tempDir('citygrid-bench-');
const results: Record<string, unknown>[] = [];
console.log(`writing ${POINTS} readings from ${DEVICES} devices, ${CHUNK} per event-loop turn`);
results.push(await run('sqlite', async (onWritten) => new SqliteStore({ path: join(dir.path, 'bench.db'), onWritten })));
if (haveInfluxd()) {
  const influx = await startInflux('bench');
  try {
    results.push(await run('influx', async (onWritten) => {
      const s = new InfluxStore({ url: influx.url, token: null, database: 'bench', spoolDir: join(dir.path, 'spool'), spoolMaxBytes: 4096 * 1_048_576, retentionMs: 30 * 86_400_000, logger, onWritten });
      await s.init();
      return s;
    }));
    const [r] = await influx.query('SELECT count("level_cm") FROM "water_level"', 'bench');
    const stored = r?.series?.[0]?.values[0]?.[1];
    if (stored !== POINTS) throw new Error(`InfluxDB holds ${String(stored)} points, expected ${POINTS}`);
  } finally {
    await influx.remove();
  }
} else {
  console.log('influxd not installed: InfluxDB skipped (apt-get install influxdb)');
}
dir.remove();
console.log(JSON.stringify({ bench: 'store', results }));
