// Residents' reports in Redis (cluster mode), against Debian's redis-server: the report stores' shared
// suite (server/src/reports/report-store.cases.ts), two replicas racing to file the same report fold
// it once, and a proof-of-work challenge spent through one replica is refused by another.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient } from 'redis';
import { powSolve } from '@citygrid/contract';
import { Challenges, RedisSpentChallenges } from '../../server/src/reports/challenges.js';
import { RedisReportStore } from '../../server/src/reports/redis-report-store.js';
import { reportStoreCases } from '../../server/src/reports/report-store.cases.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const clients: { quit(): Promise<unknown> }[] = [];
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

reportStoreCases('Redis', async () => new RedisReportStore(await client()));

it('folds the same report filed at once through two replicas into one', async () => {
  const [a, b] = [new RedisReportStore(await client()), new RedisReportStore(await client())];
  const base = { category: 'noise' as const, cell: 'race', district: 'd', text: 't', filedAt: Date.now(), status: 'received' as const, copies: 0, spamBy: null, spamAt: null, fingerprint: 'race-fp' };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).file({ ...base, receipt: `RACE-${String(2000 + i)}` }, base.filedAt - 60_000)));
  expect(results.filter((r) => !r.folded)).toHaveLength(1);
  const first = results.find((r) => !r.folded)!.report.receipt;
  expect(new Set(results.map((r) => r.report.receipt))).toEqual(new Set([first]));
  expect((await a.get(first))!.copies).toBe(19);
});

it('spends a challenge once across replicas', async () => {
  const secret = 'shared-secret';
  const one = new Challenges({ secret, difficulty: 6, spent: new RedisSpentChallenges(await client()) });
  const two = new Challenges({ secret, difficulty: 6, spent: new RedisSpentChallenges(await client()) });
  const c = one.issue();
  const nonce = (await powSolve(c.challenge, 6))!;
  expect(await two.verify(c.challenge, nonce)).toEqual({ ok: true });
  expect(await one.verify(c.challenge, nonce)).toMatchObject({ ok: false, reason: 'spent' });
});
