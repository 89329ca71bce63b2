// bcrypt off the event loop. bcryptjs is plain JavaScript: its async API only cuts the work into
// slices on the main thread, so a burst of sign-ins would still stall ingest, sockets and every other
// request for as long as the hashing takes. Here a few worker threads run its compareSync instead.
// The queue is bounded: when every worker is busy and `maxQueue` compares wait, a new one is refused at
// once with PoolBusyError (the sign-in route answers 503 CG_SIGNIN_BUSY with Retry-After) instead of
// growing without end. Workers start on first use and are replaced if one dies; a job fails only if
// its own worker died or its hash is malformed.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** bcryptjs's CommonJS build, loaded by the workers (their code is plain CommonJS: no TypeScript loader needed). */
const BCRYPTJS = createRequire(import.meta.url).resolve('bcryptjs');

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', (job) => {
  let ok = false;
  let hash = null;
  let error = null;
  try {
    if (job.rounds) hash = bcrypt.hashSync(job.password, job.rounds);
    else ok = bcrypt.compareSync(job.password, job.hash);
  } catch (err) {
    error = String((err && err.message) || err);
  }
  parentPort.postMessage({ id: job.id, ok, hash, error });
});
`;

export class PoolBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolBusyError';
  }
}

export interface PoolOptions {
  /** Threads; default: one less than the machine's cores, at least 1, at most 4. */
  workers?: number;
  /** Compares that may wait for a thread; default 32. */
  maxQueue?: number;
}

/** A compare (hash given), or a new hash of `rounds` (people administration: added users, changed passwords). */
interface Job { id: number; password: string; hash: string; rounds: number; resolve: (result: { ok: boolean; hash: string | null }) => void; reject: (err: Error) => void }
interface Slot { worker: Worker; job: Job | null }

export class BcryptPool {
  readonly workers: number;
  readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(o: PoolOptions = {}) {
    this.workers = Math.max(1, Math.floor(o.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1))));
    this.maxQueue = Math.max(0, Math.floor(o.maxQueue ?? 32));
  }

  /** bcrypt's compare in a worker thread; rejects with PoolBusyError at once when the queue is full. */
  compare(password: string, hash: string): Promise<boolean> {
    return this.submit(password, hash, 0).then((r) => r.ok);
  }

  /** bcrypt's hash of `rounds` (cost) in a worker thread, bounded by the same queue as compare. */
  hash(password: string, rounds: number): Promise<string> {
    return this.submit(password, '', Math.max(4, Math.min(31, Math.floor(rounds)))).then((r) => r.hash!);
  }

  private submit(password: string, hash: string, rounds: number): Promise<{ ok: boolean; hash: string | null }> {
    if (this.closed) return Promise.reject(new Error('the password check pool is closed'));
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, password, hash, rounds, resolve, reject };
      const slot = this.idleSlot();
      if (slot) this.run(slot, job);
      else if (this.queue.length < this.maxQueue) this.queue.push(job);
      else reject(new PoolBusyError(`all ${this.workers} password check threads are busy and ${this.queue.length} checks are waiting`));
    });
  }

  /** The worker threads' ids (never 0, the main thread's). */
  threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  stats(): { workers: number; busy: number; queued: number } {
    return { workers: this.slots.length, busy: this.slots.filter((s) => s.job).length, queued: this.queue.length };
  }

  /** Stops every thread as if it had crashed: their jobs fail, waiting ones go to replacements. */
  async terminateWorkers(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('the password check pool is closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    const slots = this.slots.splice(0);
    for (const s of slots) s.job?.reject(err);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private idleSlot(): Slot | null {
    const idle = this.slots.find((s) => s.job === null);
    if (idle) return idle;
    return this.slots.length < this.workers ? this.spawn() : null;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: BCRYPTJS }, execArgv: [] });
    worker.unref(); // an idle pool does not keep the process alive
    const slot: Slot = { worker, job: null };
    worker.on('message', (m: { id: number; ok: boolean; hash: string | null; error: string | null }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = null;
      if (m.error !== null) job.reject(new Error(`bcrypt: ${m.error}`));
      else job.resolve({ ok: m.ok, hash: m.hash });
      this.next(slot);
    });
    worker.on('error', (err) => this.lose(slot, err));
    worker.on('exit', (code) => this.lose(slot, new Error(`exit code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.postMessage({ id: job.id, password: job.password, hash: job.hash, rounds: job.rounds });
  }

  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (job) this.run(slot, job);
  }

  /** A thread died: fail its job, and let a new thread take the waiting ones. */
  private lose(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    const job = slot.job;
    slot.job = null;
    job?.reject(new Error(`the password check worker stopped (${err.message})`));
    if (this.closed || !this.queue.length) return;
    const replacement = this.idleSlot();
    if (replacement) this.next(replacement);
  }
}
