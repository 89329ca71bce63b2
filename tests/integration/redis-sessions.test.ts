// Sign-in sessions in Redis (server/src/auth/redis-sessions.ts), against Debian's redis-server: what
// the SQLite store does (server/src/auth/sessions.test.ts), shared by two replicas' clients: a
// refresh or a sign-out made through one is seen by the other, and two racing refreshes of the same
// token cannot both win.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { RedisSessionStore } from '../../server/src/auth/redis-sessions.js';
import type { SessionRecord } from '../../server/src/auth/sessions.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const clients: { quit(): Promise<unknown> }[] = [];
async function store(): Promise<RedisSessionStore> {
  const c = createClient({ url: redis.url });
  await c.connect();
  clients.push(c);
  return RedisSessionStore.open(c);
}
const session = (sid: string, username: string, o: Partial<SessionRecord> = {}): SessionRecord => ({
  sid, username, startedAt: Date.now(), expiresAt: Date.now() + 3_600_000, jti: `${sid}-j1`, prevJti: null, prevUntil: 0, revokedAt: null, ...o,
});

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.quit()));
  await redis?.remove();
});

describe('RedisSessionStore', () => {
  it('creates a session once and shows it to another replica', async () => {
    const [a, b] = [await store(), await store()];
    expect(a.createdAt).toBe(b.createdAt);
    expect(await a.create(session('s1', 'operator'))).toBe(true);
    expect(await b.create(session('s1', 'operator', { jti: 'other' }))).toBe(false);
    expect(await b.get('s1')).toMatchObject({ sid: 's1', username: 'operator', jti: 's1-j1', revokedAt: null });
    expect(await b.get('nope')).toBeNull();
  });

  it('refreshes by compare-and-set: of two racing refreshes of one token, one wins', async () => {
    const [a, b] = [await store(), await store()];
    await a.create(session('s2', 'operator'));
    const results = await Promise.all([a.rotate('s2', 's2-j1', 'from-a', 111), b.rotate('s2', 's2-j1', 'from-b', 222)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const r = (await a.get('s2'))!;
    expect(r.prevJti).toBe('s2-j1');
    expect([r.jti, r.prevUntil]).toEqual(results[0] ? ['from-a', 111] : ['from-b', 222]);
    expect(await a.rotate('s2', 's2-j1', 'again', 1)).toBe(false); // no longer current
  });

  it('signs out once, for every replica, and a signed-out session refreshes no more', async () => {
    const [a, b] = [await store(), await store()];
    await a.create(session('s3', 'viewer'));
    expect(await b.revoke('s3', 12345)).toBe(true);
    expect(await a.revoke('s3', 99999)).toBe(false);
    expect((await a.get('s3'))!.revokedAt).toBe(12345);
    expect(await a.rotate('s3', 's3-j1', 'x', 1)).toBe(false);
  });

  it('lists a user\'s live sessions oldest first, without signed-out, ended or vanished ones', async () => {
    const s = await store();
    const t = Date.now();
    await s.create(session('u1', 'busy', { startedAt: t - 3000 }));
    await s.create(session('u2', 'busy', { startedAt: t - 2000 }));
    await s.create(session('u3', 'busy', { startedAt: t - 1000 }));
    await s.create(session('u4', 'busy', { startedAt: t - 500, expiresAt: t + 300 })); // ends in 0.3 s
    await s.revoke('u2', t);
    expect((await s.live('busy')).map((r) => r.sid)).toEqual(['u1', 'u3', 'u4']);
    await new Promise((r) => setTimeout(r, 500)); // Redis expired u4 at its end
    expect(await s.get('u4')).toBeNull();
    expect((await s.live('busy')).map((r) => r.sid)).toEqual(['u1', 'u3']);
    expect(await s.count()).toBeGreaterThanOrEqual(5);
  });
});
