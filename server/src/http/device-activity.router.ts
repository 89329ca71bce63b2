// A device's page for engineers (issue 18): GET /api/devices/:id/activity (its connection state and
// history as the embedded broker saw them, and its last 50 messages with their outcome) and
// POST /api/devices/:id/test-reading (one reading through the real broker as the device; operators
// and admins, audited, a few a minute per user). Scope as the other device routes: a grid worker
// reads only their cells' devices, and another cell's device answers 404 like an unknown id.
// Nothing here runs per message: the last messages are merged when asked, from the store's readings
// and the rejections log (which keeps the city's last refusals: a device's older ones may be gone).
import { Router, type Request } from 'express';
import {
  DEVICE_MESSAGES_SHOWN, metricsOf,
  type DeviceActivityResponse, type DeviceMessage, type TestReadingResponse,
} from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { sessionOf, requireRole } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { DeviceConnections } from '../live/device-connections.js';
import type { RejectionLog } from '../live/rejection-log.js';
import { sendTestReading, TestReadingError, type TestReadingDeps } from '../live/test-reading.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { AppDeps } from './app.js';

const MINUTE = 60_000; // ms
const DAY = 86_400_000; // ms
/** Test readings per user: at most this many a minute. */
export const TEST_READINGS_PER_MINUTE = 6;
/** Readings may carry a ts up to 5 minutes ahead (the contract's ts_in_future). */
const FUTURE_MS = 5 * MINUTE;
/** Windows looked back through for a device's last readings, shortest first (the last: the raw-read limit). */
const WINDOWS_MS = [MINUTE, 10 * MINUTE, 60 * MINUTE, 6 * 60 * MINUTE, DAY, 7 * DAY, 31 * DAY];
/** Raw points per metric read per window; a window with this many is narrowed. */
const POINTS_PER_READ = 1_000;

export interface DeviceActivityDeps {
  /** Embedded broker: its connection history; null otherwise (MQTT_URL, cluster mode). */
  connections: DeviceConnections | null;
  /** Embedded broker: how to send a test reading; null otherwise. */
  testReadings: Omit<TestReadingDeps, 'rejections' | 'store' | 'latest'> | null;
}

export function deviceActivityRouter({ city, registry, store, rejections, auth, deviceActivity }: AppDeps): Router {
  const router = Router();
  const connections = deviceActivity?.connections ?? null;
  const tester = deviceActivity?.testReadings ?? null;
  const recent = new Map<string, number[]>(); // username -> times of their test readings in the last minute

  function readable(req: Request) {
    const id = String(req.params.id ?? '');
    const device = registry.get(id);
    if (!device || !readScope(sessionOf(req).user, city).device(device.id)) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    return device;
  }

  router.get('/devices/:id/activity', async (req, res) => {
    const device = readable(req);
    const body: DeviceActivityResponse = {
      device: device.id,
      connectionsKept: connections !== null,
      state: connections?.state(device.id) ?? { online: false, since: null, address: null, transport: null, clientId: null, connections: 0 },
      connections: connections?.history(device.id) ?? [],
      messages: await lastMessages(store, rejections, device, Date.now()),
      testReading: tester !== null && device.kind !== 'camera',
    };
    res.json(body);
  });

  router.post('/devices/:id/test-reading', requireRole('testDevices'), async (req, res) => {
    const device = readable(req);
    const { username } = sessionOf(req).user;
    if (!tester) throw Errors.TEST_READING_UNAVAILABLE('Test readings go through the embedded broker; this server is attached to another broker (MQTT_URL) or to the cluster\'s edges. Publish a reading with the device\'s own credentials instead.');
    if (device.kind === 'camera') throw Errors.TEST_READING_UNAVAILABLE('Cameras send events, not readings: a test event would count toward the camera rules. Watch its messages here instead.');
    const now = Date.now();
    const mine = (recent.get(username) ?? []).filter((t) => t > now - MINUTE);
    if (mine.length >= TEST_READINGS_PER_MINUTE) {
      const wait = Math.max(1, Math.ceil((mine[0]! + MINUTE - now) / 1000));
      throw Errors.TEST_READING_RATE_LIMITED(wait).withHeader('Retry-After', String(wait));
    }
    mine.push(now);
    recent.set(username, mine);
    for (const [user, times] of recent) if (times.every((t) => t <= now - MINUTE)) recent.delete(user);
    let result: TestReadingResponse;
    try {
      result = await sendTestReading({ ...tester, rejections, store, latest: (id) => registry.latestValues(id) }, device);
    } catch (err) {
      if (!(err instanceof TestReadingError)) throw err;
      auth.audit.record({ user: username, action: 'device_test', target: device.id, note: `failed: ${err.message}`.slice(0, 500) });
      throw Errors.TEST_READING_UNAVAILABLE(err.message);
    }
    auth.audit.record({ user: username, action: 'device_test', target: device.id, note: result.outcome === 'accepted' ? 'accepted' : `refused: ${result.reason}` });
    res.json(result);
  });

  return router;
}

/**
 * The device's last DEVICE_MESSAGES_SHOWN messages, newest first: its stored readings (or a camera's
 * events) and its refusals kept in the rejections log, merged by time.
 */
export async function lastMessages(store: TimeSeriesStore, rejections: RejectionLog, device: CityDevice, now: number): Promise<DeviceMessage[]> {
  const n = DEVICE_MESSAGES_SHOWN;
  const refused: DeviceMessage[] = rejections.list({ device: device.id, limit: n }).items.map((r) => ({
    ts: r.ts, outcome: 'refused', reason: r.reason, message: r.message, by: r.by, topic: r.topic,
    ...(r.seq !== undefined ? { seq: r.seq } : {}), ...(r.count !== undefined ? { count: r.count } : {}), ...(r.preAuth ? { preAuth: true } : {}),
  }));
  const accepted = device.kind === 'camera' ? await lastEvents(store, device, now, n) : await lastReadings(store, device, now, n);
  return [...accepted, ...refused].sort((a, b) => b.ts - a.ts).slice(0, n);
}

async function lastEvents(store: TimeSeriesStore, device: CityDevice, now: number, n: number): Promise<DeviceMessage[]> {
  const events = await store.queryEvents({ grid: device.grid, from: now - 7 * DAY, to: now + FUTURE_MS, limit: 2_000 });
  return events.filter((e) => e.device === device.id).slice(0, n).map((e) => ({
    ts: e.ts, outcome: 'accepted', event: e.type, metrics: { confidence: e.confidence, ...(e.count !== undefined ? { count: e.count } : {}) },
  }));
}

/**
 * The store reads raw points oldest first with a limit, so the last `n` readings are found by
 * looking back through growing windows until one holds `n` (a window with POINTS_PER_READ points of
 * a metric could miss its newest: it is halved towards the last window that held fewer).
 */
async function lastReadings(store: TimeSeriesStore, device: CityDevice, now: number, n: number): Promise<DeviceMessage[]> {
  const specs = metricsOf(device.kind);
  const metrics = Object.keys(specs);
  if (!metrics.length) return [];
  const to = now + FUTURE_MS;
  const read = async (windowMs: number) => {
    const series = await store.queryReadings({ device: device.id, kind: device.kind, metrics, from: to - windowMs, to, step: null, limit: POINTS_PER_READ });
    const truncated = series.some((s) => s.points.length >= POINTS_PER_READ);
    const byTs = new Map<number, Record<string, number | boolean>>();
    for (const s of series) {
      const boolean = specs[s.metric]?.type === 'boolean';
      for (const p of s.points as { ts: number; value: number }[]) {
        let m = byTs.get(p.ts);
        if (!m) byTs.set(p.ts, (m = {}));
        m[s.metric] = boolean ? p.value !== 0 : p.value;
      }
    }
    return { truncated, byTs };
  };
  let best = new Map<number, Record<string, number | boolean>>();
  let shorter = 0; // the last window read whole, with fewer than n
  for (const windowMs of WINDOWS_MS) {
    const r = await read(windowMs);
    if (r.truncated) {
      // more than one read holds: halve between `shorter` (whole, < n) and this window (truncated)
      for (let lo = shorter, hi = windowMs, i = 0; i < 16 && hi - lo > 1_000; i++) {
        const mid = (lo + hi) / 2;
        const m = await read(mid);
        if (m.truncated) hi = mid;
        else {
          lo = mid;
          best = m.byTs;
          if (m.byTs.size >= n) break;
        }
      }
      break;
    }
    best = r.byTs;
    if (best.size >= n) break;
    shorter = windowMs;
  }
  return [...best].sort((a, b) => b[0] - a[0]).slice(0, n).map(([ts, metrics]) => ({ ts, outcome: 'accepted', metrics }));
}
