// The per-user socket cap of cluster mode (server/src/realtime/redis-socket-places.ts), against Debian's
// redis-server: the same rules as `npm start`'s in-memory places (the shared suite), shared by replicas
// (6 sockets on one and 5 on another: the 11th is refused, wherever it asks), racing replicas hand out
// exactly the cap, a replica that stops refreshing (killed) frees its places within the TTL, each user's
// key stays bounded and expires, and with Redis stopped each replica counts its own sockets (logged once)
// and shares the cap again once Redis is back.
import pino from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSocketPlaces, type RedisPlacesOptions } from '../../server/src/realtime/redis-socket-places.js';
import { placesCases } from '../../server/src/realtime/socket-places.cases.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/system.js';

let redis: TestRedis;
const clients: { destroy(): void; isOpen: boolean }[] = [];
const places: RedisSocketPlaces[] = [];
let n = 0;

async function client(r: TestRedis = redis) {
  const c = createClient({ url: r.url, socket: { reconnectStrategy: () => 100, connectTimeout: 2_000 } });
  c.on('error', () => {}); // a stopped Redis: the client reconnects by itself
  await c.connect();
  clients.push(c);
  return c;
}

/** A replica's places on its own client; replicas given the same prefix share users' keys. */
async function replica(prefix: string, o: RedisPlacesOptions = {}, r: TestRedis = redis) {
  const p = new RedisSocketPlaces(await client(r), { prefix, ...o });
  places.push(p);
  return p;
}

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => {
  await Promise.allSettled(places.map((p) => p.close()));
  for (const c of clients) if (c.isOpen) c.destroy(); // some are on a Redis already gone
  await redis?.remove();
});

// each case on its own keys, as if on a fresh Redis
placesCases('RedisSocketPlaces', async ({ cap }) => replica(`test${++n}:sockets:`, { cap }));

const ids = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`);
async function takeAll(p: RedisSocketPlaces, user: string, socketIds: string[]) {
  for (const id of socketIds) expect(await p.take(user, id), id).toEqual({ allowed: true });
}

describe('RedisSocketPlaces across replicas', () => {
  it('6 sockets on one replica and 5 on another: the 11th is refused, on either, until one closes', async () => {
    const prefix = `shared${++n}:sockets:`;
    const [a, b] = [await replica(prefix), await replica(prefix)];
    await takeAll(a, 'viewer', ids(6, 'a'));
    await takeAll(b, 'viewer', ids(4, 'b'));
    expect(await b.take('viewer', 'b4')).toEqual({ allowed: false, held: 10 });
    expect(await a.take('viewer', 'a6')).toEqual({ allowed: false, held: 10 });
    expect(await b.take('admin', 'x')).toEqual({ allowed: true }); // another user is not affected
    await a.release('viewer', 'a0');
    expect(await b.take('viewer', 'b4')).toEqual({ allowed: true });
    expect(await a.take('viewer', 'a6')).toEqual({ allowed: false, held: 10 });
    // a replica restarted (new id, nothing in memory) sees the others' places
    expect(await (await replica(prefix)).take('viewer', 'r0')).toEqual({ allowed: false, held: 10 });
  });

  it('30 racing takes over two replicas get exactly the cap', async () => {
    const prefix = `race${++n}:sockets:`;
    const pair = [await replica(prefix), await replica(prefix)];
    const decisions = await Promise.all(ids(30, 's').map((id, i) => pair[i % 2]!.take('operator', id)));
    expect(decisions.filter((d) => d.allowed).length).toBe(10);
    expect(decisions.filter((d) => !d.allowed && d.held === 10).length).toBe(20);
    expect(pair[0]!.held('operator') + pair[1]!.held('operator')).toBe(10);
  });

  it("keeps a live replica's places past the TTL, and frees a stopped replica's within it", async () => {
    const prefix = `ttl${++n}:sockets:`;
    const ttlMs = 600;
    const a = await replica(prefix, { ttlMs });
    const b = await replica(prefix, { ttlMs });
    await takeAll(a, 'viewer', ids(10, 'a'));
    // a refreshes every 200 ms: after 3 TTLs its places still hold
    await new Promise((r) => setTimeout(r, 3 * ttlMs));
    expect(await b.take('viewer', 'b0')).toEqual({ allowed: false, held: 10 });
    // a stops refreshing (as if killed): its places lapse within the TTL
    await a.close();
    const stoppedAt = Date.now();
    await waitFor(async () => (await b.take('viewer', 'b0')).allowed, "a place after the stopped replica's lapsed", 5_000, 50);
    expect(Date.now() - stoppedAt).toBeLessThan(ttlMs + 500);
    expect(Date.now() - stoppedAt).toBeGreaterThan(ttlMs / 3);
  });

  it("holds at most the cap in a user's key, which expires once nothing refreshes it", async () => {
    const prefix = `bound${++n}:sockets:`;
    const ttlMs = 500;
    const a = await replica(prefix, { ttlMs });
    const b = await replica(prefix, { ttlMs });
    await Promise.all(ids(40, 's').map((id, i) => (i % 2 ? a : b).take('viewer', id)));
    const c = await client();
    expect(await c.zCard(`${prefix}viewer`)).toBe(10);
    const pttl = await c.pTTL(`${prefix}viewer`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(ttlMs);
    await Promise.all([a.close(), b.close()]);
    await waitFor(async () => (await c.exists(`${prefix}viewer`)) === 0, 'the key to expire', 5_000, 50);
  });

  it('gives a place back in Redis on release (not only in memory)', async () => {
    const prefix = `rel${++n}:sockets:`;
    const a = await replica(prefix);
    await takeAll(a, 'viewer', ['s0', 's1']);
    const c = await client();
    expect(await c.zCard(`${prefix}viewer`)).toBe(2);
    await a.release('viewer', 's0');
    expect(await c.zRange(`${prefix}viewer`, 0, -1)).toEqual([`${a.replicaId}:s1`]);
  });
});

describe('RedisSocketPlaces when Redis is away', () => {
  let own: TestRedis;
  beforeAll(async () => { own = await startRedis(); });
  afterAll(async () => { await own?.remove(); });

  it("counts each replica's own sockets while Redis is stopped (logged once), and shares the cap again once it is back", async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as { msg: string }); } });
    const prefix = `outage${++n}:sockets:`;
    const o = { logger, timeoutMs: 500 };
    const a = await replica(prefix, o, own);
    const b = await replica(prefix, o, own);
    await takeAll(a, 'viewer', ids(4, 'a'));
    await takeAll(b, 'viewer', ids(4, 'b'));

    await own.stop('SIGKILL');
    // nobody is locked out: each replica takes up to the cap on its own
    await takeAll(a, 'viewer', ids(6, 'a-out'));
    await takeAll(b, 'viewer', ids(6, 'b-out'));
    expect(await a.take('viewer', 'a-more')).toEqual({ allowed: false, held: 10 });
    expect(await b.take('viewer', 'b-more')).toEqual({ allowed: false, held: 10 });
    expect(await a.take('admin', 'x')).toEqual({ allowed: true });
    await a.release('viewer', 'a-out0');
    expect(await a.take('viewer', 'a-again')).toEqual({ allowed: true });
    const warned = lines.filter((l) => /Redis unreachable/.test(l.msg));
    expect(warned.length).toBe(2); // once per replica for this outage, not once per socket

    await own.start(); // empty: it kept nothing
    await waitFor(() => lines.some((l) => /reachable again/.test(l.msg)), 'the replicas to see Redis again', 10_000);
    await Promise.all([a.refresh(), b.refresh()]);
    // the replicas put their live sockets back, up to the cap: a new replica is refused
    const c = await replica(prefix, o, own);
    expect(await c.take('viewer', 'c0')).toEqual({ allowed: false, held: 10 });
    for (const id of [...ids(4, 'a'), ...ids(6, 'a-out').slice(1), 'a-again']) await a.release('viewer', id);
    for (const id of [...ids(4, 'b'), ...ids(6, 'b-out')]) await b.release('viewer', id);
    expect(await c.take('viewer', 'c0')).toEqual({ allowed: true });
    expect(lines.filter((l) => /Redis unreachable/.test(l.msg)).length).toBe(2);
  });
});
