// Proves a signed-in user cannot make the server do unbounded work: history capped at 31 days raw / 366 days with step (at most 5,000 buckets, 10,000 raw points per metric), scores at 366 days, camera events at 31 days, list sizes at their maximum (each 400 CG_LIMIT_EXCEEDED naming the limit, with the largest allowed request as the positive control), and at most 10 sockets per user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSocket, getJson, login, startTestSystem, waitFor, type CitySocket } from '../helpers/system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;
let system: System;
const sockets: CitySocket[] = [];
let viewer = '';
let admin = '';
const DAY = 86_400_000;
const T = Date.UTC(2026, 4, 1); // every range below is fixed with an explicit `to`

beforeAll(async () => {
  system = await startTestSystem();
  viewer = await login(system.baseUrl, 'viewer');
  admin = await login(system.baseUrl, 'admin');
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await system?.stop();
});

const get = (path: string, token = viewer) => getJson<{ error?: { code: string; message: string } }>(`${system.baseUrl}${path}`, token);

/** The request is refused with 400 CG_LIMIT_EXCEEDED whose message names the limit; the control passes. */
async function capped(over: string, limit: RegExp, control: string, token = viewer): Promise<void> {
  const res = await get(over, token);
  expect(res.status, `${over}: ${JSON.stringify(res.body)}`).toBe(400);
  expect(res.body.error?.code, over).toBe('CG_LIMIT_EXCEEDED');
  expect(res.body.error?.message, over).toMatch(limit);
  const ok = await get(control, token);
  expect(ok.status, `${control}: ${JSON.stringify(ok.body)}`).toBe(200);
}

describe('GET /api/devices/:id/readings', () => {
  const url = (q: string) => `/api/devices/wl-0001/readings?${q}`;

  it('caps raw points per metric at 10,000 (limit)', async () => {
    await capped(url('from=0&limit=100000'), /10,?000/, url(`from=${T - DAY}&to=${T}&limit=10000`));
  });

  it('caps a raw range at 31 days', async () => {
    await capped(url(`from=${T - 31 * DAY - 1}&to=${T}`), /31 days/, url(`from=${T - 31 * DAY}&to=${T}`));
  });

  it('allows up to 366 days with step, and caps the buckets at 5,000', async () => {
    await capped(url(`from=${T - 366 * DAY - 1}&to=${T}&step=1d`), /366 days/, url(`from=${T - 366 * DAY}&to=${T}&step=1d`));
    await capped(url(`from=${T - 31 * DAY}&to=${T}&step=1m`), /5,?000/, url(`from=${T - 7 * DAY}&to=${T}&step=30m`)); // the dashboard's 7 d chart
    await capped(url(`from=${T - 5001 * 60_000}&to=${T}&step=1m`), /5,?000/, url(`from=${T - 5000 * 60_000}&to=${T}&step=1m`));
  });

  it('reads every metric of a kind at once (air quality: 4) within the metrics cap', async () => {
    const res = await getJson<{ series: { metric: string }[] }>(`${system.baseUrl}/api/devices/aq-0001/readings?from=${T - DAY}&to=${T}`, viewer);
    expect(res.body.series.map((s) => s.metric).sort()).toEqual(['no2', 'o3', 'pm10', 'pm25']);
  });
});

describe('other reads', () => {
  it('caps GET /api/scores at 366 days', async () => {
    await capped(`/api/scores?from=0&to=${T}`, /366 days/, `/api/scores?from=${T - 366 * DAY}&to=${T}`);
  });

  it('caps GET /api/camera-events at 31 days and 1,000 events', async () => {
    await capped(`/api/camera-events?from=0&to=${T}`, /31 days/, `/api/camera-events?from=${T - 31 * DAY}&to=${T}`);
    await capped('/api/camera-events?limit=1001', /1,?000/, '/api/camera-events?limit=1000');
  });

  it('caps the lists of alerts (5,000), rejections (1,000) and audit entries (1,000)', async () => {
    await capped('/api/alerts?state=all&limit=5001', /5,?000/, '/api/alerts?state=all&limit=5000');
    await capped('/api/rejections?limit=1001', /1,?000/, '/api/rejections?limit=1000');
    await capped('/api/audit?limit=1001', /1,?000/, '/api/audit?limit=1000', admin);
  });
});

describe('Socket.IO connections per user', () => {
  const open = async (token: string) => {
    const s = await connectSocket(system.baseUrl, token);
    sockets.push(s);
    return s;
  };
  const refusal = (token: string) => open(token).then(() => 'connected', (err: Error) => err.message);

  it('takes 10 per user, refuses the 11th saying why, and takes one again once one closes', async () => {
    const mine: CitySocket[] = [];
    for (let i = 0; i < 10; i++) mine.push(await open(viewer));
    expect(mine.every((s) => s.connected)).toBe(true);
    expect(await refusal(viewer)).toMatch(/at most 10/);
    expect(await refusal(await login(system.baseUrl, 'viewer'))).toMatch(/at most 10/); // per user, not per token
    expect(await refusal(admin)).toBe('connected'); // another user is not affected
    mine[0]!.close();
    await waitFor(() => refusal(viewer).then((r) => r === 'connected'), 'a socket again after one closed');
  });

  it("lets a grid worker's phone and control room connect together", async () => {
    const worker = await login(system.baseUrl, 'gw-wuchang-006');
    const phone = await open(worker);
    const controlRoom = await open(worker);
    expect(phone.connected && controlRoom.connected).toBe(true);
  });
});
