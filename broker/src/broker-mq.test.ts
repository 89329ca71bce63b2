// Regression: aedes' mqemitter recursed once per queued message when deliveries completed
// synchronously behind a full concurrency window, and overflowed the stack (seen at ~2,000
// connects/s and during shutdown). The broker's emitter must take a long burst in its stride.
import mqemitter from 'mqemitter';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createBroker, MQ_CONCURRENCY, type CityBroker } from './broker.js';

type Mq = { on(t: string, f: (m: unknown, cb: () => void) => void): void; emit(m: { topic: string }, cb: (err?: Error) => void): void };

/** 1,000 slow deliveries fill the window, then 30,000 messages whose delivery completes at once. */
async function burst(mq: Mq, topic: string): Promise<number> {
  let n = 0;
  let overflow: unknown = null;
  const later = (cb: () => void) => setImmediate(() => {
    try {
      cb(); // a finished slow delivery starts the queued ones from here
    } catch (err) {
      overflow ??= err;
    }
  });
  mq.on(`${topic}/#`, (_m, cb) => (n++ < 1000 ? later(cb) : cb()));
  let done = 0;
  for (let i = 0; i < 30_000; i++) mq.emit({ topic: `${topic}/x` }, () => done++);
  // until every delivery is done or the stack overflowed (not a fixed 50 ms: a busy machine may need more turns)
  for (const deadline = Date.now() + 10_000; !overflow && done < 30_000 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
  if (overflow) throw overflow;
  return done;
}

describe('broker message emitter', () => {
  let broker: CityBroker | undefined;
  afterAll(async () => broker?.close());

  it('reproduces the overflow with the old setting (concurrency 1000)', async () => {
    const mq = mqemitter({ concurrency: 1000 }) as unknown as Mq;
    await expect(burst(mq, 'old')).rejects.toThrow(/call stack/);
  });

  it('delivers a long burst without recursion with the broker\'s setting', async () => {
    expect(MQ_CONCURRENCY).toBe(0);
    broker = await createBroker({ port: 0, host: '127.0.0.1', devices: { get: () => undefined }, service: null, allowAnonymous: false, logger: pino({ level: 'silent' }) });
    expect(await burst((broker.aedes as unknown as { mq: Mq }).mq, 'new')).toBe(30_000);
  });
});
