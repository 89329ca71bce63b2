// The per-user socket cap across two real Socket.IO servers on one Redis, wired as cluster mode wires
// them (sessions in Redis, the Redis adapter, RedisSocketPlaces): one user's sockets, 6 on one replica
// and 4 on the other, fill the cap; the 11th is refused on either with the plain message, another user
// still connects, and a socket closed on one replica frees a place for the other.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { loadCity } from '@citygrid/contract/node';
import pino from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from '../../server/src/auth/index.js';
import { RedisSessionStore } from '../../server/src/auth/redis-sessions.js';
import { createMetrics } from '../../server/src/metrics.js';
import { RedisSocketPlaces } from '../../server/src/realtime/redis-socket-places.js';
import { createRealtime, type Realtime } from '../../server/src/realtime/socket-server.js';
import { AUTH_SECRET } from '../helpers/signed-in-city.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { connectSocket, DEMO_CITY, tempDir, waitFor, type CitySocket } from '../helpers/system.js';

interface Replica { baseUrl: string; auth: Auth; close(): Promise<void> }

let redis: TestRedis;
const replicas: Replica[] = [];
const sockets: CitySocket[] = [];
const city = loadCity(DEMO_CITY);

async function startReplica(): Promise<Replica> {
  const pub = createClient({ url: redis.url });
  pub.on('error', () => {});
  const sub = pub.duplicate();
  sub.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const data = tempDir();
  const logger = pino({ level: 'silent' });
  const auth = createAuth({ city, dataDir: data.path, secret: AUTH_SECRET, sessions: await RedisSessionStore.open(pub), compare: async () => true });
  const http: HttpServer = createServer();
  const realtime: Realtime = createRealtime(http, {
    city, metrics: createMetrics(), logger, auth,
    adapter: createAdapter(pub, sub),
    places: new RedisSocketPlaces(pub, { logger }),
    stats: () => ({ ts: Date.now(), ingestPerS: 0, rejectedPerS: 0, devicesOnline: 0, devicesTotal: 0, activeAlerts: {} }),
  });
  await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
  const replica = {
    baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    auth,
    async close() {
      await realtime.close();
      await new Promise<void>((res) => http.close(() => res()));
      await auth.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
      data.remove();
    },
  };
  replicas.push(replica);
  return replica;
}

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.allSettled(replicas.map((r) => r.close()));
  await redis?.remove();
});

async function open(r: Replica, token: string): Promise<CitySocket> {
  const s = await connectSocket(r.baseUrl, token);
  sockets.push(s);
  return s;
}
const refusal = (r: Replica, token: string) => open(r, token).then(() => 'connected', (err: Error) => err.message);

describe('the per-user socket cap over two replicas on one Redis', () => {
  it('refuses the 11th socket of one user across both, saying why, and frees a place when one closes', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const viewer = (await a.auth.signIn({ username: 'viewer', role: 'viewer' })).token;
    const admin = (await b.auth.signIn({ username: 'admin', role: 'admin' })).token;
    const onA: CitySocket[] = [];
    for (let i = 0; i < 6; i++) onA.push(await open(a, viewer));
    for (let i = 0; i < 4; i++) await open(b, viewer);
    const expected = 'Too many live connections for viewer: at most 10 at once; close another tab or device, then reconnect';
    expect(await refusal(b, viewer)).toBe(expected);
    expect(await refusal(a, viewer)).toBe(expected);
    expect(await refusal(b, admin)).toBe('connected'); // another user is not affected
    onA[0]!.close();
    await waitFor(() => refusal(b, viewer).then((r) => r === 'connected'), 'a socket on B once one on A closed');
    expect(await refusal(a, viewer)).toBe(expected);
  });
});
