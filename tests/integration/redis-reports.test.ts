// Residents' reports in Redis (cluster mode), against Debian's redis-server: the report stores' shared
// suite (server/src/reports/report-store.cases.ts), two replicas racing to file the same report fold
// it once and to close the same alert close its reports once, a record written before reports joined
// alerts read with nulls, and a proof-of-work challenge spent through one replica is refused by another.
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
  const base = { category: 'noise' as const, cell: 'race', district: 'd', text: 't', filedAt: Date.now(), status: 'received' as const, copies: 0, spamBy: null, spamAt: null, fingerprint: 'race-fp', alertId: null, closedAt: null, outcome: null };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).file({ ...base, receipt: `RACE-${String(2000 + i)}` }, base.filedAt - 60_000)));
  expect(results.filter((r) => !r.folded)).toHaveLength(1);
  const first = results.find((r) => !r.folded)!.report.receipt;
  expect(new Set(results.map((r) => r.report.receipt))).toEqual(new Set([first]));
  expect((await a.get(first))!.copies).toBe(19);
});

it('closes the reports of an alert closed at once through two replicas once', async () => {
  const [a, b] = [new RedisReportStore(await client()), new RedisReportStore(await client())];
  const base = { category: 'noise' as const, cell: 'race-close', district: 'd', text: 't', filedAt: Date.now(), status: 'received' as const, copies: 0, spamBy: null, spamAt: null, alertId: null, closedAt: null, outcome: null };
  const receipts = Array.from({ length: 50 }, (_, i) => `RACE-${String(3000 + i)}`);
  for (const [i, receipt] of receipts.entries()) await a.file({ ...base, receipt, filedAt: base.filedAt + i, fingerprint: `race-close-${i}` }, 0);
  expect(await b.join(receipts, 'race-alert')).toBe(50);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).closeAlert('race-alert', `outcome ${i}`, base.filedAt + 1_000 + i)));
  expect(results.filter((r) => r.length)).toHaveLength(1);
  expect(results.flat().map((r) => r.receipt)).toEqual(receipts);
  expect(new Set(results.flat().map((r) => r.outcome)).size).toBe(1);
});

it('reads a record written before reports joined alerts with no alert, and can join and close it', async () => {
  const c = await client();
  const store = new RedisReportStore(c);
  // as the previous version filed it: no alertId, closedAt or outcome (and spamBy/spamAt dropped, as cjson may)
  const old = { receipt: 'OLDR-RDS2', category: 'noise', cell: 'old-cell', district: 'd', text: 'drums', filedAt: 1_650_000_000_000, status: 'received', copies: 0, fingerprint: 'old-redis' };
  await c.set('citygrid:report:OLDR-RDS2', JSON.stringify(old));
  await c.zAdd('citygrid:reports:by-time', { score: old.filedAt, value: old.receipt });
  await c.zAdd('citygrid:reports:with-text', { score: old.filedAt, value: old.receipt });
  const before = { ...old, spamBy: null, spamAt: null, alertId: null, closedAt: null, outcome: null };
  expect(await store.get('OLDR-RDS2')).toEqual(before);
  expect(await store.join(['OLDR-RDS2'], 'old-alert')).toBe(1);
  expect(await store.list({ cells: new Set(['old-cell']), limit: 5, alert: 'old-alert' })).toEqual([{ ...before, status: 'in_hand', alertId: 'old-alert' }]);
  const closed = { ...before, status: 'closed', alertId: 'old-alert', closedAt: 1_650_000_100_000, outcome: 'asked them to stop' };
  expect(await store.closeAlert('old-alert', 'asked them to stop', 1_650_000_100_000)).toEqual([closed]);
  expect(await store.closedBetween(1_650_000_100_000, 1_650_000_100_001, 5)).toEqual([closed]);
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
