// The sign-in back-off of cluster mode (server/src/auth/redis-login-limiter.ts), against Debian's
// redis-server: the same rules as `npm start`'s in-memory limiter (the shared suite), and shared by
// replicas: failures counted through one replica slow the next attempt through another, and two
// replicas racing for an address's last token cannot both get it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { limiterCases } from '../../server/src/auth/login-limiter.cases.js';
import { RedisLoginLimiter } from '../../server/src/auth/redis-login-limiter.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const clients: { quit(): Promise<unknown> }[] = [];
let n = 0;

async function client() {
  const c = createClient({ url: redis.url });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.quit()));
  await redis?.remove();
});

// each case on its own keys, as if on a fresh Redis
limiterCases('RedisLoginLimiter', async (o = {}) => {
  let now = 1_000_000;
  const l = new RedisLoginLimiter(await client(), { now: () => now, ...o }, `test${++n}:login:`);
  return { l, advance: (ms: number) => { now += ms; } };
});

describe('RedisLoginLimiter across replicas', () => {
  it('counts failures made through one replica when another is asked', async () => {
    const prefix = `shared${++n}:login:`;
    const a = new RedisLoginLimiter(await client(), {}, prefix);
    const b = new RedisLoginLimiter(await client(), {}, prefix);
    for (let i = 0; i < 5; i++) {
      const d = await (i % 2 ? a : b).begin('10.9.9.9', 'operator');
      if (!d.allowed) throw new Error(`attempt ${i} refused`);
      await d.attempt.fail();
    }
    const next = await a.begin('10.9.9.9', 'operator');
    expect(next).toMatchObject({ allowed: false, reason: 'backoff', retryAfterS: 30 });
    expect(await b.begin('10.9.9.9', 'operator')).toMatchObject({ allowed: false, reason: 'backoff' });
    // a restarted replica (a new client, nothing in memory) still refuses
    const restarted = new RedisLoginLimiter(await client(), {}, prefix);
    expect(await restarted.begin('10.9.9.9', 'operator')).toMatchObject({ allowed: false, reason: 'backoff' });
  });

  it('two replicas racing for an address\'s tokens hand out no more than its cap', async () => {
    const prefix = `race${++n}:login:`;
    const replicas = [new RedisLoginLimiter(await client(), {}, prefix), new RedisLoginLimiter(await client(), {}, prefix)];
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => replicas[i % 2]!.begin('10.8.8.8', `user-${i}`)));
    expect(decisions.filter((d) => d.allowed).length).toBe(20);
    expect(decisions.filter((d) => !d.allowed && d.reason === 'address').length).toBe(40);
  });
});
