// Taking a partition over in cluster mode (server/src/bus/nats-bus.ts), against a real nats-server
// with JetStream: the new owner's rules first see again what the last owner had already processed and
// acknowledged (the partition's stream up to its consumer's ack floor, within the rules' lookback),
// then consume what came after; no message reaches it both ways, and none is missed.
import { describe, expect, it } from 'vitest';
import { serialize } from 'node:v8';
import { gzipSync } from 'node:zlib';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { BUS_STREAM, busSubject, encodeEnvelope, partitionOf, type BusMessage } from '@citygrid/contract';
import { NatsBus, RULE_STATE_BUCKET } from '../../server/src/bus/nats-bus.js';
import type { Pipeline } from '../../server/src/pipeline/index.js';
import type { TimeSeriesStore } from '../../server/src/stores/store.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();

interface Seen { run: string[]; fed: Map<number, string[]>; finished: number[]; restored: Map<number, string[]>; stalled: number[][] }

/** Steps of taking a partition over that fail once, as a JetStream request does while the stream elects a leader. */
interface Faults { adoptFails?: number; feedFailsAt?: number }

async function replica(lookbackMs = 10 * 60_000, faults: Faults = {}, snapshots: { everyMs: number; taken(p: number): void } = { everyMs: 3_600_000, taken: () => undefined }): Promise<{ bus: NatsBus; nc: NatsConnection; seen: Seen }> {
  const nc = await nats.connect();
  let fed = 0;
  const seen: Seen = { run: [], fed: new Map(), finished: [], restored: new Map(), stalled: [] };
  const bus = new NatsBus({
    nc, stream: { replicas: 1, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000 },
    pipeline: { run: (m: BusMessage) => { seen.run.push(m.key); } } as unknown as Pipeline,
    store: { written: () => Promise.resolve() } as unknown as TimeSeriesStore,
    logger: pino({ level: 'silent' }), onRefusal: () => undefined, onPartitionsChanged: () => undefined, onStalled: (s) => { seen.stalled.push(s); },
    leaseTtlMs: 2_000, leaseRenewMs: 400,
    beforeConsume: async (p) => {
      if (p === P && faults.adoptFails && faults.adoptFails-- > 0) throw new Error('TimeoutError: timeout');
    },
    replay: {
      lookbackMs: () => lookbackMs, maxMessages: 10_000,
      // the "rule state": what this replica has processed of the partition (restored included)
      snapshot: (p) => {
        snapshots.taken(p);
        return Buffer.from(JSON.stringify([...seen.restored.get(p) ?? [], ...seen.fed.get(p) ?? [], ...seen.run]));
      },
      snapshotEveryMs: snapshots.everyMs, // an hour unless a test says: saved by hand there
      begin: (p, snapshot) => ({
        ...(snapshot ? void seen.restored.set(p, JSON.parse(Buffer.from(snapshot).toString()) as string[]) : {}),
        feed: (e) => {
          if (p === P && ++fed === faults.feedFailsAt) throw new Error('TimeoutError: timeout');
          if ('m' in e) (seen.fed.get(p) ?? seen.fed.set(p, []).get(p)!).push(e.m.key);
        },
        finish: () => { seen.finished.push(p); },
      }),
    },
  });
  await bus.start();
  return { bus, nc, seen };
}

const CELL = 'c-replay';
const P = partitionOf(CELL);
let n = 0;
/** `batch`: all `count` in one stream message, as an edge under load sends them (`{b: [...]}`). */
async function publish(nc: NatsConnection, count: number, batch = false): Promise<string[]> {
  const js = jetstream(nc);
  const keys: string[] = [];
  const members: BusMessage[] = [];
  for (let i = 0; i < count; i++) {
    const key = `wl-replay/telemetry/${++n}`;
    const m: BusMessage = {
      channel: 'telemetry', device: 'wl-replay', receivedAt: Date.now(), dup: false, key, identifiable: true, stamped: false,
      readings: [{ device: 'wl-replay', ts: Date.now(), metrics: { level_cm: 20 + n }, seq: n }],
    };
    if (batch) members.push(m);
    else await js.publish(busSubject(P), encodeEnvelope({ m }), { msgID: key });
    keys.push(key);
  }
  if (batch) await js.publish(busSubject(P), encodeEnvelope({ b: members }));
  return keys;
}

describe('taking a partition over', () => {
  it('replays what the last owner acknowledged, then consumes the rest, each message once', async () => {
    const a = await replica();
    await waitFor(() => a.bus.owned().length === 64, 'the first replica owning every partition', 15_000, 50);
    const processed = await publish(a.nc, 20);
    await waitFor(() => a.seen.run.length === 20 && a.bus.stats.acked === 20, 'the first owner processing and acknowledging 20', 10_000, 20);
    expect(a.seen.run).toEqual(processed);
    await a.nc.flush(); // its acks are at the server
    await a.bus.close(); // gives its leases up
    const later = await publish(a.nc, 5); // while nobody owns the partition

    const b = await replica();
    await waitFor(() => b.seen.run.length === 5, 'the new owner consuming what came after', 15_000, 20);
    expect(b.seen.finished).toContain(P);
    expect(b.seen.fed.get(P), 'replayed: what the last owner had processed').toEqual(processed);
    expect(b.seen.run, 'consumed: only what came after').toEqual(later);
    expect(b.bus.stats.replayed).toBe(20);
    // the replay's reader is gone from the server: the stream keeps only the partitions' durables
    const jsm = await jetstreamManager(b.nc);
    const consumers = async () => {
      const names: string[] = [];
      for await (const ci of jsm.consumers.list(BUS_STREAM)) names.push(ci.name);
      return names;
    };
    await waitFor(async () => (await consumers()).every((n) => /^p\d+$/.test(n)), 'only the durable consumers left', 10_000, 100)
      .catch(async () => expect(await consumers(), 'consumers of the stream after the replay').toEqual([]));
    await b.bus.close();
  }, 60_000);

  it('without a snapshot, replays only the rules\' lookback', async () => {
    const c = await replica(1); // 1 ms: everything in the stream is older
    await waitFor(() => c.bus.owned().length === 64, 'owning every partition', 15_000, 50);
    await waitFor(() => c.seen.finished.includes(P), 'the partition\'s replay finished', 15_000, 20);
    expect(c.seen.fed.get(P) ?? []).toEqual([]);
    await c.bus.close();
  }, 60_000);

  it('starts from the last owner\'s snapshot and replays only what it processed after it', async () => {
    const a = await replica();
    await waitFor(() => a.bus.owned().length === 64, 'the first replica owning every partition', 15_000, 50);
    const start = a.seen.run.length;
    const before = await publish(a.nc, 10);
    await waitFor(() => a.seen.run.length === start + 10 && a.bus.stats.acked === start + 10, 'processing 10', 10_000, 20);
    await (a.bus as unknown as { saveState(p: number): Promise<void> }).saveState(P);
    expect(a.bus.stats.snapshotsSaved).toBe(1);
    const after = await publish(a.nc, 4);
    await waitFor(() => a.bus.stats.acked === start + 14, 'processing 4 more', 10_000, 20);
    await a.nc.flush();
    await a.bus.close();

    const b = await replica();
    await waitFor(() => b.seen.finished.includes(P), 'the partition taken over', 15_000, 20);
    expect(b.bus.stats.snapshotsUsed).toBeGreaterThanOrEqual(1);
    expect(b.seen.restored.get(P)?.slice(-10), 'the snapshot: what the last owner had when it saved').toEqual(before);
    expect(b.seen.fed.get(P), 'replayed: only what came after the snapshot').toEqual(after);
    expect(b.seen.run).toEqual([]);
    await b.bus.close();
  }, 60_000);

  it('ignores a snapshot beyond what the stream had acknowledged, and one it cannot read, and replays instead', async () => {
    const nc = await nats.connect();
    const states = await new Kvm(nc).open(RULE_STATE_BUCKET);
    for (const bad of [
      serialize({ v: 1, seq: 1e12, at: Date.now(), replica: 'deposed', state: gzipSync(Buffer.from('["unacknowledged"]')) }),
      Buffer.from('not a snapshot'),
    ]) {
      await states.put(`p${P}`, bad);
      const c = await replica();
      await waitFor(() => c.seen.finished.includes(P), 'the partition taken over', 15_000, 20);
      expect(c.seen.restored.get(P)).toBeUndefined();
      expect(c.bus.stats.snapshotsUsed).toBe(0);
      expect(c.seen.fed.get(P)?.length, 'the lookback replayed instead').toBeGreaterThan(0);
      await c.bus.close();
    }
  }, 60_000);

  it('tries a failed step again while the lease is held, and resumes a replay where it failed', async () => {
    const a = await replica();
    await waitFor(() => a.bus.owned().length === 64, 'the first replica owning every partition', 15_000, 50);
    const start = a.seen.run.length;
    const processed = await publish(a.nc, 12);
    await waitFor(() => a.bus.stats.acked === start + 12, 'the first owner acknowledging 12', 10_000, 20);
    await a.nc.flush();
    await a.bus.close();

    // the alerts' adoption fails twice, then the replay fails at its 5th message
    const b = await replica(10 * 60_000, { adoptFails: 2, feedFailsAt: 5 });
    await waitFor(() => b.seen.finished.includes(P), 'the partition\'s replay finished in the end', 20_000, 20);
    expect(b.bus.owned()).toContain(P);
    expect(b.bus.stats.consumeFailures).toBe(3);
    // consumed again only after the replay finished (its consumer is fetched and pulled first)
    await waitFor(() => b.seen.stalled.length >= 2, 'the partition said consumed again', 10_000, 20);
    expect(b.seen.stalled, 'said stalled, then consumed again').toEqual([[P], []]);
    const fed = b.seen.fed.get(P)!;
    expect(fed.slice(-12), 'the replay resumed at the message that failed').toEqual(processed);
    expect(new Set(fed).size, 'no message fed twice').toBe(fed.length);
    const later = await publish(b.nc, 3);
    await waitFor(() => later.every((k) => b.seen.run.includes(k)), 'the partition consumed after the failures', 10_000, 20);
    await b.bus.close();
  }, 60_000);

  it('runs an edge\'s batch message by message, acknowledges it once, and the next owner replays each of its messages', async () => {
    const a = await replica();
    await waitFor(() => a.bus.owned().length === 64, 'the first replica owning every partition', 15_000, 50);
    const start = a.seen.run.length;
    const acked = a.bus.stats.acked;
    const batch = await publish(a.nc, 6, true);
    await waitFor(() => a.seen.run.length === start + 6 && a.bus.stats.acked === acked + 1, 'the batch processed and its one stream message acknowledged', 10_000, 20);
    expect(a.seen.run.slice(-6), 'each message of the batch, in order').toEqual(batch);
    await a.nc.flush();
    await a.bus.close();

    const b = await replica();
    await waitFor(() => b.seen.finished.includes(P), 'the partition taken over', 15_000, 20);
    expect(b.seen.fed.get(P)?.slice(-6), 'replayed: each message of the batch').toEqual(batch);
    expect(b.seen.run).toEqual([]);
    await b.bus.close();
  }, 60_000);

  it('saves the partitions\' snapshots one event-loop turn after another, not all in one turn', async () => {
    const order: string[] = [];
    const a = await replica(10 * 60_000, {}, { everyMs: 400, taken: (p) => { order.push(`p${p}`); setImmediate(() => order.push('turn')); } });
    await waitFor(() => a.bus.owned().length === 64, 'owning every partition', 15_000, 50);
    // only a partition that took messages is saved: messages on P and on two others
    const js = jetstream(a.nc);
    for (const cell of ['c-snap-1', 'c-snap-2']) {
      const m: BusMessage = { channel: 'status', device: 'wl-replay', receivedAt: Date.now(), dup: false, key: `${cell}/status`, identifiable: false, stamped: false, online: true };
      await js.publish(busSubject(partitionOf(cell)), encodeEnvelope({ m }));
    }
    await publish(a.nc, 1);
    const saved = new Set([P, partitionOf('c-snap-1'), partitionOf('c-snap-2')]).size;
    await waitFor(() => order.filter((x) => x !== 'turn').length >= saved, 'a round of snapshots', 10_000, 20);
    await a.bus.close();
    const round = order.slice(0, order.lastIndexOf(order.filter((x) => x !== 'turn')[saved - 1]!) + 1);
    // between two partitions' snapshots the event loop ran (the turn each one scheduled came first)
    for (let i = 1; i < round.length; i++) if (round[i] !== 'turn') expect(round[i - 1], `before ${round[i]}: ${round.join(' ')}`).toBe('turn');
  }, 60_000);
});
