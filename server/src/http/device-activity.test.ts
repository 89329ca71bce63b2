// Proves how a device's last 50 messages are found (GET /api/devices/:id/activity) against a real
// SQLite store: the newest readings however many the device sent (a burst of thousands in the last
// second, which a single window read, oldest first and limited, would miss), booleans as booleans,
// merged newest first with the device's refusals from the rejections log, and nothing of another device.
import { afterEach, describe, expect, it } from 'vitest';
import type { CityDevice } from '@citygrid/contract/node';
import { RejectionLog } from '../live/rejection-log.js';
import { SqliteStore } from '../stores/sqlite.store.js';
import { lastMessages } from './device-activity.router.js';

const WL = { id: 'wl-1', kind: 'water_level', grid: 'g1', district: 'd1', location: [0, 0], secret_hash: 'x' } as unknown as CityDevice;
const MH = { id: 'mh-1', kind: 'manhole_cover', grid: 'g1', district: 'd1', location: [0, 0], secret_hash: 'x' } as unknown as CityDevice;
const stores: SqliteStore[] = [];
afterEach(async () => { for (const s of stores.splice(0)) await s.close(); });

function store(): SqliteStore {
  const s = new SqliteStore({ path: ':memory:', writerThread: false });
  stores.push(s);
  return s;
}

describe('lastMessages', () => {
  it('finds the newest 50 of a burst of 5,000 readings within one second, and of an hour-old trickle', async () => {
    const s = store();
    const now = Date.now();
    s.writeReadings(Array.from({ length: 20 }, (_, i) => ({ device: WL.id, kind: WL.kind, grid: 'g1', district: 'd1', ts: now - 3_600_000 - i * 60_000, metrics: { level_cm: i } })));
    s.writeReadings(Array.from({ length: 5_000 }, (_, i) => ({ device: WL.id, kind: WL.kind, grid: 'g1', district: 'd1', ts: now - 5_000 + i, metrics: { level_cm: i / 10 } })));
    s.writeReadings([{ device: 'wl-2', kind: WL.kind, grid: 'g1', district: 'd1', ts: now, metrics: { level_cm: 99 } }]);
    const out = await lastMessages(s, new RejectionLog(), WL, now);
    expect(out).toHaveLength(50);
    expect(out.map((m) => m.ts)).toEqual(Array.from({ length: 50 }, (_, i) => now - 1 - i));
    expect(out[0]).toEqual({ ts: now - 1, outcome: 'accepted', metrics: { level_cm: 499.9 } });
  });

  it('reaches back to an old trickle, gives booleans as booleans, and merges refusals newest first', async () => {
    const s = store();
    const now = Date.now();
    s.writeReadings(Array.from({ length: 10 }, (_, i) => ({ device: MH.id, kind: MH.kind, grid: 'g1', district: 'd1', ts: now - 2 * 86_400_000 - i * 3_600_000, metrics: { tilt_deg: 1, open: i === 0 } })));
    const log = new RejectionLog();
    log.record({ ts: now - 1_000, device: MH.id, topic: `city/v1/devices/${MH.id}/telemetry`, reason: 'wrong_type', message: 'Metric "open" must be a boolean', by: 'server', seq: 3 });
    log.record({ ts: now - 500, device: 'other', topic: null, reason: 'bad_credentials', message: 'x', by: 'broker', preAuth: true });
    const out = await lastMessages(s, log, MH, now);
    expect(out).toHaveLength(11);
    expect(out[0]).toEqual({ ts: now - 1_000, outcome: 'refused', reason: 'wrong_type', message: 'Metric "open" must be a boolean', by: 'server', topic: `city/v1/devices/${MH.id}/telemetry`, seq: 3 });
    expect(out[1]).toEqual({ ts: now - 2 * 86_400_000, outcome: 'accepted', metrics: { tilt_deg: 1, open: true } });
    expect(out[2]).toMatchObject({ outcome: 'accepted', metrics: { open: false } });
  });
});
