// The bus of cluster mode, server side: the replica consumes the partitions it holds a lease for
// (leases.ts), one durable pull consumer per partition on the edges' stream, runs each message
// through the same pipeline as `npm start`, and acknowledges it to JetStream only once InfluxDB has
// it (not merely this replica's spool: a replica that dies may never come back). What it processed
// but had not acknowledged when it died is delivered again to the next owner; the readings' times
// were fixed at the edge, so writing them again overwrites, never doubles.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream, NOTIFY_SUBJECT, type BusStreamOptions } from '@citygrid/broker';
import { BUS_STREAM, busSubject, decodeEnvelope, type AlertCommand, type BusMessage, type Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/index.js';
import type { TimeSeriesStore } from '../stores/store.js';
import { PartitionLeases } from './leases.js';

/** A message not acknowledged within this is delivered again (to whoever owns its partition then). */
const ACK_WAIT_MS = 30_000;
/** Messages a partition's consumer may have out unacknowledged (InfluxDB slow or away). */
const MAX_ACK_PENDING = 20_000;

const nanos = (ms: number) => ms * 1_000_000;

export interface NatsBusOptions {
  nc: NatsConnection;
  stream: BusStreamOptions;
  pipeline: Pipeline;
  store: TimeSeriesStore;
  logger: Logger;
  /** A refusal an edge made, for /api/rejections, metrics and the refusals rules. */
  onRefusal(rejection: Rejection): void;
  /** Ownership changed (the alert manager narrows its rules to the cells owned). */
  onPartitionsChanged(owned: number[]): void;
  /** A partition was taken: runs before its first message (the alerts of its cells are adopted). */
  beforeConsume?(partition: number): Promise<void>;
  /** An operator's action on an alert of an owned partition, sent by any replica. */
  onCommand?(command: AlertCommand): void;
  /**
   * A partition was taken: what its stream held before (the last lookbackMs, at most maxMessages, up
   * to what the last owner acknowledged) is fed to the rules before its first new message.
   */
  replay?: {
    lookbackMs(): number;
    maxMessages: number;
    begin(partition: number): { feed(envelope: { m: BusMessage } | { r: Rejection }): void; finish(): void };
  };
  leaseTtlMs?: number;
  leaseRenewMs?: number;
}

interface Consuming {
  messages: ConsumerMessages | null;
  stopped: boolean;
  done: Promise<void>;
}

export class NatsBus {
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  readonly leases: PartitionLeases;
  private readonly consuming = new Map<number, Consuming>();
  /** Processed messages waiting for InfluxDB before their ack, shared by one event-loop turn. */
  private toAck: JsMsg[] = [];
  private ackScheduled = false;
  private readonly log: Logger;
  readonly stats = { consumed: 0, acked: 0, malformed: 0, replayed: 0 };

  constructor(private readonly o: NatsBusOptions) {
    this.log = o.logger.child({ stage: 'bus' });
    this.leases = new PartitionLeases({
      nc: o.nc, logger: this.log, replicas: o.stream.replicas,
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
    this.js = jetstream(this.o.nc, { timeout: 20_000 });
    this.jsm = await jetstreamManager(this.o.nc, { timeout: 20_000 });
    await this.leases.start();
  }

  /** Tells the device why the server refused its message, through whichever edge it is connected to. */
  notifyDevice(rejection: Rejection): void {
    this.o.nc.publish(NOTIFY_SUBJECT, JSON.stringify(rejection));
  }

  owned(): number[] {
    return this.leases.owned();
  }

  private consume(p: number): void {
    const c: Consuming = { messages: null, stopped: false, done: Promise.resolve() };
    this.consuming.set(p, c);
    c.done = (async () => {
      const durable = `p${p}`;
      await this.jsm.consumers.add(BUS_STREAM, {
        durable_name: durable, filter_subject: busSubject(p), ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All, ack_wait: nanos(ACK_WAIT_MS), max_ack_pending: MAX_ACK_PENDING,
      }).catch((err: Error) => {
        if (!/already in use|exists/i.test(err.message)) throw err;
      });
      await this.o.beforeConsume?.(p);
      if (c.stopped) return;
      if (this.o.replay) await this.replay(p, durable, c);
      if (c.stopped) return;
      const consumer = await this.js.consumers.get(BUS_STREAM, durable);
      if (c.stopped) return;
      c.messages = await consumer.consume({ max_messages: 1000 });
      for await (const m of c.messages) {
        if (c.stopped) break; // given up: what is buffered here goes to the next owner
        while (this.o.store.full?.() && !c.stopped) await this.o.store.whenRoom!();
        if (c.stopped) break;
        this.take(m);
      }
    })().catch((err: Error) => {
      if (!c.stopped) this.log.error({ err: err.message, partition: p }, 'consuming the partition failed; the lease will move it');
    });
  }

  /**
   * Feeds the rules what the partition's last owner already processed: the stream's messages of the
   * last lookback, up to the durable consumer's ack floor (what comes after it is delivered to this
   * replica anyway, so nothing is seen twice), read by an ordered consumer of its own.
   */
  private async replay(p: number, durable: string, c: Consuming): Promise<void> {
    const o = this.o.replay!;
    const started = Date.now();
    const floor = (await this.jsm.consumers.info(BUS_STREAM, durable)).ack_floor.stream_seq;
    const lookback = o.lookbackMs();
    if (!floor || lookback <= 0) return;
    const session = o.begin(p);
    const reader = await this.js.consumers.get(BUS_STREAM, {
      filter_subjects: busSubject(p), deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(started - lookback).toISOString(),
    });
    let n = 0;
    let done = false;
    while (!done && !c.stopped && n < o.maxMessages) {
      let got = 0;
      // a fetch ends when it has its batch, or after `expires` when the stream has no more
      for await (const m of await reader.fetch({ max_messages: Math.min(1_000, o.maxMessages - n), expires: 1_000 })) {
        got++;
        if (m.seq > floor) { done = true; break; }
        const envelope = decodeEnvelope(m.data);
        if (envelope && !('c' in envelope)) session.feed(envelope); // commands were applied; their outcome is in the alert stream
        n++;
        if (m.seq === floor || m.info.pending === 0) { done = true; break; }
      }
      if (!got) break;
    }
    if (c.stopped) return;
    session.finish();
    this.stats.replayed += n;
    this.log.info({ partition: p, messages: n, ms: Date.now() - started, truncated: n >= o.maxMessages }, 'partition\'s recent history replayed to the rules');
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
    else this.o.pipeline.run(envelope.m);
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

  /** Stops taking the partition's messages at once (synchronously); resolves once its consumer has closed. */
  private stopConsuming(p: number): Promise<void> {
    const c = this.consuming.get(p);
    if (!c) return Promise.resolve();
    this.consuming.delete(p);
    c.stopped = true;
    c.messages?.stop();
    return c.done;
  }

  async close(): Promise<void> {
    await this.leases.stop();
  }
}
