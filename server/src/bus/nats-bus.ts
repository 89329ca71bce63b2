// The bus of cluster mode, server side: the replica consumes the partitions it holds a lease for
// (leases.ts), one durable pull consumer per partition on the edges' stream, runs each message
// through the same pipeline as `npm start`, and acknowledges it to JetStream only once InfluxDB has
// it (not merely this replica's spool: a replica that dies may never come back). What it processed
// but had not acknowledged when it died is delivered again to the next owner; the readings' times
// were fixed at the edge, so writing them again overwrites, never doubles.
import { deserialize, serialize } from 'node:v8';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream, NOTIFY_SUBJECT, type BusStreamOptions } from '@citygrid/broker';
import { BUS_STREAM, busSubject, decodeEnvelope, encodeEnvelope, partitionOf, type AlertCommand, type BusMessage, type BusReport, type Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/index.js';
import type { TimeSeriesStore } from '../stores/store.js';
import { PartitionLeases } from './leases.js';
import { PULL_EXPIRES_MS } from './streams.js';

/** A message not acknowledged within this is delivered again (to whoever owns its partition then). */
const ACK_WAIT_MS = 30_000;
/** Messages a partition's consumer may have out unacknowledged (InfluxDB slow or away). */
const MAX_ACK_PENDING = 20_000;
/** Messages one pull of a partition's consumer asks for. */
const PULL_MAX_MESSAGES = 100;
/** How long a replica takes stream messages before it lets timers and sockets run. */
const YIELD_AFTER_MS = 10;
/** The KV bucket of the partitions' rule-state snapshots (key p<N>). */
export const RULE_STATE_BUCKET = 'citygrid_rule_state';
/** A snapshot larger than this (gzipped) is not saved (NATS refuses messages over 1 MB by default); the replay alone serves. */
const MAX_STATE_BYTES = 900 * 1024;

/** A snapshot as stored: the stream sequence it covers (every message of the partition up to it), and the state. */
interface StoredState { v: 1; seq: number; at: number; replica: string; state: Uint8Array }

const nanos = (ms: number) => ms * 1_000_000;

export interface NatsBusOptions {
  nc: NatsConnection;
  /** The leases' connection (default nc): one of their own keeps renewals from queueing behind deliveries. */
  leaseNc?: NatsConnection;
  stream: BusStreamOptions;
  pipeline: Pipeline;
  store: TimeSeriesStore;
  logger: Logger;
  /** A refusal an edge made, for /api/rejections, metrics and the refusals rules. */
  onRefusal(rejection: Rejection): void;
  /** Ownership changed (the alert manager narrows its rules to the cells owned). */
  onPartitionsChanged(owned: number[]): void;
  /** The owned partitions not being consumed now changed: a step failed, and is tried again. */
  onStalled?(stalled: number[]): void;
  /** A partition was taken: runs before its first message (the alerts of its cells are adopted). */
  beforeConsume?(partition: number): Promise<void>;
  /** An operator's action on an alert of an owned partition, sent by any replica. */
  onCommand?(command: AlertCommand): void;
  /** A resident's report in a cell of an owned partition, filed through any replica (publishReport). */
  onReport?(report: BusReport): void;
  /**
   * A partition was taken: what its stream held before (the last lookbackMs, at most maxMessages, up
   * to what the last owner acknowledged) is fed to the rules before its first new message.
   */
  replay?: {
    lookbackMs(): number;
    maxMessages: number;
    /** The partition's rule state now (null: not owned), saved every snapshotEveryMs for the next owner. */
    snapshot(partition: number): Uint8Array | null;
    snapshotEveryMs?: number;
    /** With the last owner's snapshot, if it is usable: the replay then starts after it. */
    begin(partition: number, snapshot?: Uint8Array): { feed(envelope: { m: BusMessage } | { r: Rejection } | { p: BusReport }): void; finish(): void };
  };
  leaseTtlMs?: number;
  leaseRenewMs?: number;
  /** A stream message of device messages was taken: when an edge received its oldest (for the bus-lag metric). */
  onTaken?(receivedAt: number): void;
}

interface Consuming {
  messages: ConsumerMessages | null;
  stopped: boolean;
  done: Promise<void>;
  /** Ends a wait between attempts at once, so that giving the partition up is not held up by it. */
  wake: () => void;
}

/** A partition's replay, kept across attempts: one that failed part-way resumes after the last message fed. */
interface ReplayRun {
  floor: number;
  usable: StoredState | null;
  started: number;
  /** Where the next read starts: the stream sequence, or the time (the lookback's start). */
  from: { seq: number } | { time: number };
  session: { feed(envelope: { m: BusMessage } | { r: Rejection } | { p: BusReport }): void; finish(): void } | null;
  n: number;
  done: boolean;
}

/** A JetStream request for a partition's steps unanswered after this is tried again (see consume). */
const PARTITION_REQUEST_TIMEOUT_MS = 5_000;
/** The wait before the next attempt at consuming a partition (1 s, 2 s, ... at most 5 s). */
const retryDelayMs = (attempt: number) => Math.min(1_000 * attempt, 5_000);

export class NatsBus {
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  readonly leases: PartitionLeases;
  private readonly consuming = new Map<number, Consuming>();
  private states: KV | null = null;
  /** Per owned partition: the stream sequence of the last message taken, and the revision of its snapshot key. */
  private readonly lastTaken = new Map<number, number>();
  private readonly stateRevision = new Map<number, number>();
  private readonly saving = new Set<number>();
  /** Owned partitions whose consuming failed and is being tried again. */
  private readonly stalled = new Set<number>();
  private snapshotTimer: NodeJS.Timeout | null = null;
  private savingAll = false;
  /** Processed messages waiting for InfluxDB before their ack, shared by one event-loop turn. */
  private toAck: JsMsg[] = [];
  private ackScheduled = false;
  /** When the current slice of work began (see sliceOver). */
  private sliceStart = performance.now();
  private turn: Promise<void> | null = null;
  private readonly log: Logger;
  readonly stats = { consumed: 0, acked: 0, malformed: 0, replayed: 0, snapshotsSaved: 0, snapshotsUsed: 0, consumeFailures: 0 };

  constructor(private readonly o: NatsBusOptions) {
    this.log = o.logger.child({ stage: 'bus' });
    this.leases = new PartitionLeases({
      nc: o.leaseNc ?? o.nc, logger: this.log, replicas: o.stream.replicas,
      ...(o.leaseTtlMs ? { ttlMs: o.leaseTtlMs } : {}),
      ...(o.leaseRenewMs ? { renewMs: o.leaseRenewMs } : {}),
      onAcquire: (p) => {
        this.log.info({ partition: p, replica: this.leases.id }, 'partition owned');
        this.consume(p);
        o.onPartitionsChanged(this.leases.owned());
      },
      // stopConsuming stops taking messages at once, then waits for the consumer to close
      onLose: async (p) => {
        const stopped = this.stopConsuming(p);
        o.onPartitionsChanged(this.leases.owned());
        await stopped;
      },
    });
  }

  async start(): Promise<void> {
    await ensureStream(this.o.nc, this.o.stream);
    // a partition's steps (making its consumer, reading its snapshot, replaying) are tried again when
    // they fail: a request lost while the stream elects a leader is better given up soon
    this.js = jetstream(this.o.nc, { timeout: PARTITION_REQUEST_TIMEOUT_MS });
    this.jsm = await jetstreamManager(this.o.nc, { timeout: PARTITION_REQUEST_TIMEOUT_MS });
    if (this.o.replay) {
      // made once at start, with time to spare
      await new Kvm(jetstream(this.o.nc, { timeout: 20_000 })).create(RULE_STATE_BUCKET, { history: 1, replicas: this.o.stream.replicas });
      this.states = await new Kvm(this.js).open(RULE_STATE_BUCKET);
      this.snapshotTimer = setInterval(() => { void this.saveAll(); }, this.o.replay.snapshotEveryMs ?? 30_000);
      this.snapshotTimer.unref();
    }
    await this.leases.start();
  }

  /**
   * Saves the partition's rule state for its next owner, once the messages it covers are in the
   * store (and so acknowledged to the stream): the next owner uses it only if the stream's ack floor
   * has reached it, then replays what came after. Written only while this replica holds the lease:
   * at the revision it last wrote or read, and over another's write only while the lease is still its.
   */
  /**
   * One round of snapshots: the partitions one after another, the event loop free between them, and
   * compressed off the main thread. All of them in one turn (as before) blocked a replica of a
   * 100,000-device city for seconds every 30 s: its leases then lapsed unrenewed (bench:city).
   */
  private async saveAll(): Promise<void> {
    if (this.savingAll) return;
    this.savingAll = true;
    try {
      for (const p of this.leases.owned()) {
        await this.saveState(p);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.savingAll = false;
    }
  }

  private async saveState(p: number): Promise<void> {
    const seq = this.lastTaken.get(p);
    if (seq === undefined || this.saving.has(p) || !this.states) return;
    this.saving.add(p);
    try {
      const state = this.o.replay!.snapshot(p);
      if (!state) return;
      const packed = await gzipAsync(state);
      if (packed.length > MAX_STATE_BYTES) {
        this.log.warn({ partition: p, bytes: packed.length }, 'the partition\'s rule state is too large to save; its next owner rebuilds it from the replay alone');
        return;
      }
      const value = serialize({ v: 1, seq, at: Date.now(), replica: this.leases.id, state: packed } satisfies StoredState);
      await (this.o.store.written?.() ?? this.o.store.durable?.() ?? Promise.resolve());
      if (!this.leases.owned().includes(p)) return; // given up meanwhile: the next owner's to write
      const k = `p${p}`;
      const revision = this.stateRevision.get(p);
      try {
        this.stateRevision.set(p, revision ? await this.states.update(k, value, revision) : await this.states.create(k, value));
      } catch {
        // written by someone else since (a deposed owner finishing a save): ours while the lease is
        const current = await this.states.get(k);
        if (!this.leases.owned().includes(p)) return;
        this.stateRevision.set(p, current?.revision ? await this.states.update(k, value, current.revision) : await this.states.create(k, value));
      }
      this.stats.snapshotsSaved++;
    } catch (err) {
      this.log.warn({ partition: p, err: (err as Error).message }, 'could not save the partition\'s rule state; the next owner replays further');
    } finally {
      this.saving.delete(p);
    }
  }

  /** The last owner's snapshot of a partition, if there is one and it can be read. */
  private async storedState(p: number): Promise<StoredState | null> {
    const entry = await this.states?.get(`p${p}`).catch(() => null);
    if (!entry || entry.operation !== 'PUT') return null;
    this.stateRevision.set(p, entry.revision);
    try {
      const stored = deserialize(entry.value) as StoredState;
      if (stored?.v !== 1 || !Number.isSafeInteger(stored.seq)) throw new Error('unknown format');
      return { ...stored, state: gunzipSync(stored.state) };
    } catch (err) {
      this.log.warn({ partition: p, err: (err as Error).message }, 'the partition\'s rule-state snapshot could not be read; replaying instead');
      return null;
    }
  }

  /** Tells the device why the server refused its message, through whichever edge it is connected to. */
  notifyDevice(rejection: Rejection): void {
    this.o.nc.publish(NOTIFY_SUBJECT, JSON.stringify(rejection));
  }

  /**
   * A resident's report, to the owner of its cell's partition (which may be this replica or another).
   * Resolves once JetStream has it; the receipt is the message id, so a retry is not counted twice.
   */
  async publishReport(report: BusReport): Promise<void> {
    await this.js.publish(busSubject(partitionOf(report.grid)), encodeEnvelope({ p: report }), { msgID: `report-${report.spam ? 'spam-' : ''}${report.receipt}` });
  }

  owned(): number[] {
    return this.leases.owned();
  }

  /**
   * Consumes an owned partition until it is given up. A step that fails (a JetStream request timing
   * out while the stream elects a leader, the consumer ending) is tried again while the lease is
   * held, from where it failed: a partition owned must never sit unconsumed. (Before, one timeout
   * left the partition owned and its cells unwatched until the lease happened to move.)
   */
  private consume(p: number): void {
    const c: Consuming = { messages: null, stopped: false, done: Promise.resolve(), wake: () => undefined };
    this.consuming.set(p, c);
    c.done = (async () => {
      const durable = `p${p}`;
      let adopted = false;
      let replay: ReplayRun | null = null;
      let step = '';
      const since = Date.now();
      let adoptMs = 0;
      let failures = 0;
      for (let attempt = 1; !c.stopped; attempt++) {
        try {
          step = 'making its consumer';
          await this.jsm.consumers.add(BUS_STREAM, {
            durable_name: durable, filter_subject: busSubject(p), ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All, ack_wait: nanos(ACK_WAIT_MS), max_ack_pending: MAX_ACK_PENDING,
          }).catch((err: Error) => {
            if (!/already in use|exists/i.test(err.message)) throw err;
          });
          step = 'adopting its open alerts';
          if (!adopted) {
            const t = Date.now();
            await this.o.beforeConsume?.(p);
            adoptMs = Date.now() - t;
          }
          adopted = true;
          if (c.stopped) return;
          step = 'replaying its stream';
          if (this.o.replay && !replay?.done) {
            replay ??= await this.beginReplay(p, durable);
            await this.replay(p, replay, c);
          }
          if (c.stopped) return;
          step = 'consuming';
          const consumer = await this.js.consumers.get(BUS_STREAM, durable);
          if (c.stopped) return;
          // 100 a pull, not 1,000: with 1,000 the library's count of what a pull still owes drifted under
          // load (issue 16's cluster bench, 20,000 messages/s): partitions stood still until two missed
          // heartbeats (5 s) made it pull again, 4-13 times in each run; with 100, none in 4 runs
          c.messages = await consumer.consume({ max_messages: PULL_MAX_MESSAGES, expires: PULL_EXPIRES_MS });
          if (this.stalled.has(p) || Date.now() - since > 5_000) this.log.info({ partition: p, ms: Date.now() - since, adoptMs, failures }, 'partition consumed only now (taking it over was slow)');
          this.setStalled(p, false);
          this.watch(p, c.messages);
          for await (const m of c.messages) {
            if (c.stopped) break; // given up: what is buffered here goes to the next owner
            while (this.o.store.full?.() && !c.stopped) await this.o.store.whenRoom!();
            // checked right before the take, in the same microtask: see sliceOver
            while (this.sliceOver()) await this.nextTurn();
            if (c.stopped) break;
            this.take(m);
            this.lastTaken.set(p, m.seq);
            attempt = 0;
          }
          if (c.stopped) return;
          throw new Error('the stream stopped delivering');
        } catch (err) {
          if (c.stopped) return;
          this.stats.consumeFailures++;
          failures++;
          this.setStalled(p, true);
          const retryMs = retryDelayMs(attempt);
          this.log.warn({ err: (err as Error).message, partition: p, step, attempt, retryMs }, 'taking the partition\'s messages failed; trying again while it is ours');
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, retryMs);
            c.wake = () => { clearTimeout(timer); resolve(); };
          });
        }
      }
    })();
  }

  /**
   * Feeds the rules what the partition's last owner already processed: the stream's messages of the
   * last lookback, up to the durable consumer's ack floor (what comes after it is delivered to this
   * replica anyway, so nothing is seen twice), read by an ordered consumer of its own.
   */
  private async beginReplay(p: number, durable: string): Promise<ReplayRun> {
    const o = this.o.replay!;
    const started = Date.now();
    const floor = (await this.jsm.consumers.info(BUS_STREAM, durable)).ack_floor.stream_seq;
    // the last owner's snapshot, if everything it covers was acknowledged (else it may hold messages
    // that are delivered to this replica again): the replay then starts right after it
    const stored = await this.storedState(p);
    const usable = stored && stored.seq <= floor ? stored : null;
    const lookback = o.lookbackMs();
    const nothing = !usable && (!floor || lookback <= 0);
    if (usable) this.stats.snapshotsUsed++;
    return {
      floor, usable, started, n: 0,
      from: usable ? { seq: usable.seq + 1 } : { time: started - lookback },
      session: nothing ? null : o.begin(p, usable?.state),
      // nothing after the snapshot to replay
      done: nothing,
    };
  }

  /** Runs (or resumes) a replay until the ack floor, the lookback's cap or a stop. */
  private async replay(p: number, run: ReplayRun, c: Consuming): Promise<void> {
    const o = this.o.replay!;
    let more = run.session !== null && !(run.usable && run.usable.seq === run.floor);
    const reader = more ? await this.js.consumers.get(BUS_STREAM, 'seq' in run.from
      ? { filter_subjects: busSubject(p), deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: run.from.seq }
      : { filter_subjects: busSubject(p), deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(run.from.time).toISOString() }) : null;
    try {
      while (more && !c.stopped && run.n < o.maxMessages) {
        let got = 0;
        // a fetch ends when it has its batch, or after `expires` when the stream has no more
        for await (const m of await reader!.fetch({ max_messages: Math.min(1_000, o.maxMessages - run.n), expires: 1_000 })) {
          got++;
          if (m.seq > run.floor) { more = false; break; }
          const envelope = decodeEnvelope(m.data);
          // commands were applied; their outcome is in the alert stream
          if (envelope && 'b' in envelope) for (const one of envelope.b) run.session!.feed({ m: one });
          else if (envelope && !('c' in envelope)) run.session!.feed(envelope);
          run.n++;
          run.from = { seq: m.seq + 1 };
          if (m.seq === run.floor || m.info.pending === 0) { more = false; break; }
        }
        if (!got) break;
      }
    } finally {
      // the reader's consumer on the server, at once: left, it would linger 5 min (the library's
      // inactive threshold), one per partition taken, on the stream every edge writes to
      if (reader) void reader.delete().catch(() => undefined);
    }
    if (c.stopped) return;
    run.done = true;
    if (!run.session) return;
    run.session.finish();
    this.stats.replayed += run.n;
    this.log.info({ partition: p, snapshot: run.usable ? { seq: run.usable.seq, at: run.usable.at } : null, messages: run.n, ms: Date.now() - run.started, truncated: run.n >= o.maxMessages }, 'partition\'s rule state rebuilt');
  }

  /**
   * The library hands a pull's messages over in microtasks, so without this a replica took every
   * buffered message (each up to 256 device messages) before a timer or a socket ran again: tasks of
   * 200-350 ms at 20,000 messages/s (profile of issue 16's cluster bench). Every partition's loop asks
   * here right before it takes a message (in the same microtask: a check in an async helper let all
   * waiting loops pass before the first had taken anything): once the current slice has worked for
   * YIELD_AFTER_MS, it waits for the next turn of the event loop. The slice is shared and restarts
   * only at a turn (before, each loop restarted it when it resumed, so 64 partitions took a slice
   * each in one turn: 200-400 ms again).
   */
  private sliceOver(): boolean {
    return performance.now() - this.sliceStart >= YIELD_AFTER_MS;
  }

  /** Resolves at the next turn of the event loop (one promise for every waiting loop), the slice restarted. */
  private nextTurn(): Promise<void> {
    this.turn ??= new Promise<void>((resolve) => setImmediate(() => {
      this.turn = null;
      this.sliceStart = performance.now();
      resolve();
    }));
    return this.turn;
  }

  private take(m: JsMsg): void {
    this.stats.consumed++;
    const envelope = decodeEnvelope(m.data);
    if (!envelope) {
      this.stats.malformed++;
      this.log.error({ subject: m.subject, seq: m.seq }, 'a message on the bus is not a CityGrid envelope; skipped');
      m.term();
      return;
    }
    if ('r' in envelope) this.o.onRefusal(envelope.r);
    else if ('c' in envelope) this.o.onCommand?.(envelope.c);
    else if ('p' in envelope) this.o.onReport?.(envelope.p);
    else if ('m' in envelope) {
      this.o.onTaken?.(envelope.m.receivedAt);
      this.o.pipeline.run(envelope.m);
    } else {
      if (envelope.b.length) this.o.onTaken?.(envelope.b[0]!.receivedAt);
      for (const one of envelope.b) this.o.pipeline.run(one);
      if (envelope.malformed) {
        this.stats.malformed += envelope.malformed;
        this.log.error({ subject: m.subject, seq: m.seq, skipped: envelope.malformed, of: envelope.malformed + envelope.b.length }, 'messages of a batch on the bus are not CityGrid messages; skipped');
      }
    }
    this.toAck.push(m);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      const batch = this.toAck;
      this.toAck = [];
      const written = this.o.store.written?.() ?? this.o.store.durable?.() ?? Promise.resolve();
      // InfluxDB away: tell JetStream we are still at it, rather than have it deliver them again
      const working = setInterval(() => { for (const msg of batch) msg.working(); }, ACK_WAIT_MS / 3);
      written.then(() => {
        for (const msg of batch) msg.ack();
        this.stats.acked += batch.length;
      }, (err: Error) => this.log.warn({ err: err.message }, 'not acknowledged: the store failed')).finally(() => clearInterval(working));
    });
  }

  /** Says what the client library notices about a partition's consumer (it recovers from these itself). */
  private watch(p: number, messages: ConsumerMessages): void {
    void (async () => {
      for await (const s of messages.status()) {
        if (['heartbeats_missed', 'consumer_not_found', 'stream_not_found', 'consumer_deleted', 'no_responders'].includes(s.type)) {
          this.log.warn({ partition: p, status: s.type }, 'the partition\'s consumer is not answering; pulling again');
        }
      }
    })().catch(() => undefined);
  }

  private setStalled(p: number, stalled: boolean): void {
    if (stalled === this.stalled.has(p)) return;
    if (stalled) this.stalled.add(p);
    else this.stalled.delete(p);
    this.o.onStalled?.([...this.stalled].sort((a, b) => a - b));
  }

  /** Stops taking the partition's messages at once (synchronously); resolves once its consumer has closed. */
  private stopConsuming(p: number): Promise<void> {
    this.setStalled(p, false);
    this.lastTaken.delete(p);
    this.stateRevision.delete(p);
    const c = this.consuming.get(p);
    if (!c) return Promise.resolve();
    this.consuming.delete(p);
    c.stopped = true;
    c.messages?.stop();
    c.wake();
    return c.done;
  }

  async close(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    await this.leases.stop();
  }
}
