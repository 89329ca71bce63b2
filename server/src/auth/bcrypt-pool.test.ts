// Proves the bcrypt worker pool: compares give bcrypt's answers and run in worker threads, new hashes are made there too at the cost asked (this thread's bcryptjs is never called), a full queue refuses at once with PoolBusyError instead of growing, a compare that throws fails only its own job, a worker that dies is replaced, and close() ends the threads.
import { compare, hashSync } from 'bcryptjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BcryptPool, PoolBusyError } from './bcrypt-pool.js';

vi.mock('bcryptjs', async (importOriginal) => {
  const real = await importOriginal<typeof import('bcryptjs')>();
  return { ...real, compare: vi.fn(real.compare), compareSync: vi.fn(real.compareSync) };
});

const HASH = hashSync('secret', 4);
/** Well-formed, cost 13: compare does all the work (about a second in JS), and nobody knows a password for it. */
const SLOW = `$2b$13$${'x'.repeat(53)}`;
const pools: BcryptPool[] = [];
const make = (o: ConstructorParameters<typeof BcryptPool>[0]) => {
  const p = new BcryptPool(o);
  pools.push(p);
  return p;
};

beforeEach(() => {
  vi.mocked(compare).mockClear();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('BcryptPool', () => {
  it("answers like bcrypt, in worker threads, not with this thread's bcryptjs", async () => {
    const pool = make({ workers: 2 });
    expect(await Promise.all([pool.compare('secret', HASH), pool.compare('wrong', HASH), pool.compare('secret', HASH)])).toEqual([true, false, true]);
    expect(compare).not.toHaveBeenCalled();
    const threads = pool.threadIds();
    expect(threads.length).toBeGreaterThanOrEqual(1);
    expect(threads.length).toBeLessThanOrEqual(2);
    expect(threads.every((id) => id > 0)).toBe(true); // 0 is the main thread
  });

  it('hashes new passwords in a worker thread too (people administration), at the cost asked, behind the same queue', async () => {
    const pool = make({ workers: 1, maxQueue: 0 });
    const made = await pool.hash('a new password', 5);
    expect(made).toMatch(/^\$2b\$05\$.{53}$/);
    expect(await compare('a new password', made)).toBe(true);
    const slow = pool.compare('x', SLOW);
    await expect(pool.hash('another', 5)).rejects.toBeInstanceOf(PoolBusyError);
    await slow;
  });

  it('refuses at once with PoolBusyError when every worker is busy and the queue is full', async () => {
    const pool = make({ workers: 1, maxQueue: 1 });
    const running = pool.compare('x', SLOW);
    const queued = pool.compare('secret', HASH);
    await expect(pool.compare('secret', HASH)).rejects.toBeInstanceOf(PoolBusyError);
    expect(pool.stats()).toEqual({ workers: 1, busy: 1, queued: 1 });
    expect(await running).toBe(false);
    expect(await queued).toBe(true);
    // the control: room again
    expect(await pool.compare('secret', HASH)).toBe(true);
  });

  it('fails only the job whose compare throws', async () => {
    const pool = make({ workers: 1 });
    await expect(pool.compare('x', '$2b$99$' + 'y'.repeat(53))).rejects.toThrow();
    expect(await pool.compare('secret', HASH)).toBe(true);
  });

  it("replaces a worker that dies, failing only the job it was running", async () => {
    const pool = make({ workers: 1 });
    expect(await pool.compare('secret', HASH)).toBe(true);
    const [first] = pool.threadIds();
    const running = pool.compare('x', SLOW);
    await pool.terminateWorkers(); // as if the thread crashed
    await expect(running).rejects.toThrow(/worker/);
    expect(await pool.compare('secret', HASH)).toBe(true);
    expect(pool.threadIds()).not.toContain(first);
  });

  it('ends its threads on close and refuses compares after', async () => {
    const pool = make({ workers: 1 });
    expect(await pool.compare('secret', HASH)).toBe(true);
    await pool.close();
    expect(pool.threadIds()).toEqual([]);
    await expect(pool.compare('secret', HASH)).rejects.toThrow(/closed/);
  });
});
