// Cluster mode's bus on NATS JetStream: the connection, the stream every edge writes to (one subject
// per partition, contract/src/bus.ts), and the edge's sink. Shared by the edge (`npm run broker`
// with BUS_URL) and the server replicas, which read the same stream.
import { hash } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type StreamConfig } from '@nats-io/jetstream';
import {
  BUS_STREAM, BUS_SUBJECT_PREFIX, busSubject, encodeEnvelope, partitionOf, RejectionError, refusedOnTopic,
  type BusMessage, type Rejection,
} from '@citygrid/contract';
import type { Logger } from 'pino';
import { Acceptor } from '../accept.js';
import type { BusSink, DeviceEntry } from '../context.js';

/** How the stream is kept (BUS_* variables). */
export interface BusStreamOptions {
  /** Copies of each message across NATS nodes: 3 for a cluster of three, 1 for a single nats-server. */
  replicas: number;
  /** How much the stream may hold; beyond it new messages are refused (devices keep theirs), never old ones dropped. */
  maxBytes: number;
  /** How long messages are kept (for replay by a replica that takes a partition over). */
  maxAgeMs: number;
}

/** JetStream's duplicate window: a copy of a message published again within it is stored once. */
export const BUS_DUPLICATE_WINDOW_MS = 120_000;
/** How long an edge waits for the stream's ack (a leader election can stall it ~15 s) before closing the device's connection unacknowledged. */
export const BUS_PUBLISH_TIMEOUT_MS = 20_000;
/** Core NATS subject the servers tell edges a device's refusal on (a device is connected to one edge). */
export const NOTIFY_SUBJECT = 'citygrid.notify';

const nanos = (ms: number) => ms * 1_000_000;

/** Connects to every NATS server listed (comma-separated), reconnecting for ever. */
export async function connectBus(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const servers = url.split(',').map((s) => s.trim()).filter(Boolean);
  // noAsyncTraces: no Error (and stack) made for every request and ack just in case it fails (issue 16 profile: 4 % of the edge)
  const nc = await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true, pingInterval: 5_000, noAsyncTraces: true });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') logger.warn({ nats: s.type, server: 'server' in s ? s.server : undefined }, `bus ${s.type === 'disconnect' ? 'disconnected' : 'reconnected'}`);
    }
  })().catch(() => undefined);
  return nc;
}

/** Creates the stream, or checks the one there has the same subjects (its limits are updated). */
export async function ensureStream(nc: NatsConnection, o: BusStreamOptions): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: 20_000 });
  const config: Partial<StreamConfig> & { name: string } = {
    name: BUS_STREAM,
    subjects: [`${BUS_SUBJECT_PREFIX}*`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: o.replicas,
    max_bytes: o.maxBytes,
    max_age: nanos(o.maxAgeMs),
    duplicate_window: nanos(BUS_DUPLICATE_WINDOW_MS),
  };
  try {
    await jsm.streams.info(BUS_STREAM);
    const { name: _n, num_replicas: _r, ...limits } = config;
    await jsm.streams.update(BUS_STREAM, limits);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || !/not found/i.test(err.message)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (e) {
      if (e instanceof Error && /insufficient resources|replicas/i.test(e.message)) {
        throw new Error(`JetStream could not create the stream ${BUS_STREAM} with ${o.replicas} replicas (${e.message}): a single nats-server needs BUS_REPLICAS=1`);
      }
      // another process created it meanwhile
      if (!(e instanceof JetStreamApiError) || !/already in use/i.test(e.message)) throw e;
    }
  }
}

/** JetStream's Nats-Msg-Id for a message: short, and free of characters a header cannot carry. */
export const busMessageId = (key: string): string => hash('sha1', key, 'base64url');

/** A batch is published once it holds this many messages... */
export const MAX_BATCH_MESSAGES = 256;
/** ...or about this many bytes of payload (NATS refuses messages over 1 MB by default). */
export const MAX_BATCH_BYTES = 256 * 1024;
/** Publishes to one partition awaiting JetStream's ack at once; what arrives meanwhile waits and goes as one batch. */
export const MAX_PUBLISHING_PER_PARTITION = 2;

interface Batch {
  messages: BusMessage[];
  bytes: number;
  waiters: Array<{ resolve(): void; reject(err: Error): void }>;
}

/**
 * The edge's sink: each device message is checked against the contract (as `npm start` does),
 * published to its cell's partition, and acknowledged to the device only once JetStream has stored
 * it. A refusal goes on the stream too (for /api/rejections, metrics and the refusals rules of the
 * partition's owner) and to the device on its rejections topic.
 *
 * Batching (issue 16): JetStream takes about 19,000 acknowledged publishes a second from one client
 * on the 2-core machine the benchmarks run on, whatever the size of each, so one stream message per
 * device message capped cluster mode there. A partition's messages that arrive while its last
 * publish awaits its ack go together as one stream message `{b: [...]}`; a message that finds
 * nothing in flight goes alone at the end of the event-loop turn, as `{m}` with its dedupe id as
 * before. Only single messages carry JetStream's Nats-Msg-Id: copies inside batches are recognised
 * by the owning replica (its pipeline's two-minute memory, and after a takeover what it replays).
 */
export class JetStreamEdge implements BusSink {
  private readonly acceptor = new Acceptor();
  private readonly js: JetStreamClient;
  /** Device messages accepted and not yet acknowledged by the stream (queued or in flight). */
  private inflight = 0;
  /** Per partition: the batches waiting to be published, oldest first; only the last takes more. */
  private readonly waiting = new Map<number, Batch[]>();
  /** Per partition: publishes awaiting JetStream's ack. */
  private readonly publishing = new Map<number, number>();
  /** Failed publishes not yet logged (said at most once a second). */
  private failuresUnsaid = 0;
  private lastFailureSaid = 0;
  private turnScheduled = false;
  readonly stats = { published: 0, streamMessages: 0, duplicates: 0, refusals: 0, failed: 0 };

  constructor(private readonly o: {
    nc: NatsConnection;
    logger: Logger;
    /** Tells the device, if it is connected here (the broker's notifyDevice). */
    notifyDevice: (rejection: Rejection) => void;
    /** A device's cell, for its partition. */
    cellOf: (device: string) => string | undefined;
  }) {
    this.js = jetstream(o.nc, { timeout: BUS_PUBLISH_TIMEOUT_MS });
  }

  pending(): number {
    return this.inflight;
  }

  offer(device: DeviceEntry, channel: 'telemetry' | 'event' | 'status', topic: string, payload: Buffer, dup: boolean): Promise<void> {
    const receivedAt = Date.now();
    let bus: BusMessage;
    try {
      bus = this.acceptor.accept(device, channel, payload, receivedAt, dup);
    } catch (err) {
      if (!(err instanceof RejectionError)) return Promise.reject(err);
      const rejection: Rejection = { ts: receivedAt, ...refusedOnTopic(topic, err.reason), device: device.id, topic: topic.slice(0, 200), reason: err.reason, message: err.message, by: 'broker' };
      if (err.seq !== undefined) rejection.seq = err.seq;
      this.o.notifyDevice(rejection);
      this.refusal(rejection);
      return Promise.resolve();
    }
    const p = partitionOf(device.grid ?? this.o.cellOf(device.id) ?? '');
    let queue = this.waiting.get(p);
    if (!queue) {
      queue = [];
      this.waiting.set(p, queue);
    }
    let batch = queue[queue.length - 1];
    // a full batch waits as it is (a publish must stay under NATS' message limit); more start another
    if (!batch || batch.messages.length >= MAX_BATCH_MESSAGES || batch.bytes >= MAX_BATCH_BYTES) {
      batch = { messages: [], bytes: 0, waiters: [] };
      queue.push(batch);
    }
    batch.messages.push(bus);
    batch.bytes += payload.length + 160;
    this.inflight++;
    const acked = new Promise<void>((resolve, reject) => { batch.waiters.push({ resolve, reject }); });
    if (queue.length > 1 || batch.messages.length >= MAX_BATCH_MESSAGES || batch.bytes >= MAX_BATCH_BYTES) this.flush(p);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      // (a 3 ms linger instead was tried: no better at 20,000 messages/s, cluster bench)
      setImmediate(() => {
        this.turnScheduled = false;
        for (const q of [...this.waiting.keys()]) if (!this.publishing.get(q)) this.flush(q);
      });
    }
    return acked;
  }

  /** Publishes partition `p`'s oldest waiting batch, unless it has as many publishes in flight as allowed (then its next ack does). */
  private flush(p: number): void {
    const queue = this.waiting.get(p);
    const busy = this.publishing.get(p) ?? 0;
    if (!queue?.length || busy >= MAX_PUBLISHING_PER_PARTITION) return;
    const batch = queue.shift()!;
    if (!queue.length) this.waiting.delete(p);
    this.publishing.set(p, busy + 1);
    const single = batch.messages.length === 1 ? batch.messages[0]! : null;
    // a message that cannot be told from a real repeat (neither ts nor seq) gets no dedupe id
    const sent = single
      ? this.js.publish(busSubject(p), encodeEnvelope({ m: single }), single.identifiable ? { msgID: busMessageId(single.key) } : {})
      : this.js.publish(busSubject(p), encodeEnvelope({ b: batch.messages }));
    const n = batch.messages.length;
    sent.then((ack) => {
      if (ack.duplicate) this.stats.duplicates++;
      this.stats.published += n;
      this.stats.streamMessages++;
      for (const w of batch.waiters) w.resolve();
    }, (err: Error) => {
      this.stats.failed += n;
      this.failed(err, n);
      for (const w of batch.waiters) w.reject(err); // no PUBACK: the broker closes the connection and the device sends it again
    }).finally(() => {
      this.inflight -= n;
      const left = (this.publishing.get(p) ?? 1) - 1;
      if (left > 0) this.publishing.set(p, left);
      else this.publishing.delete(p);
      this.flush(p);
    });
  }

  private failed(err: Error, messages: number): void {
    this.failuresUnsaid += messages;
    const now = Date.now();
    if (now - this.lastFailureSaid < 1_000) return;
    this.o.logger.warn({ err: err.message, messages: this.failuresUnsaid }, 'the stream did not take device messages; their devices get no PUBACK and send them again');
    this.failuresUnsaid = 0;
    this.lastFailureSaid = now;
  }

  refusal(rejection: Rejection): void {
    this.stats.refusals++;
    const cell = rejection.device ? this.o.cellOf(rejection.device) : undefined;
    // a refusal is a report, not a device's data: published without waiting (lost only if the stream is down)
    this.js.publish(busSubject(cell ? partitionOf(cell) : 0), encodeEnvelope({ r: rejection })).catch((err: Error) => {
      this.o.logger.warn({ err: err.message, reason: rejection.reason }, 'could not put a refusal on the bus');
    });
  }
}
