// The cluster replica's consuming loops (server/src/bus/nats-bus.ts) share the event loop fairly,
// against a real nats-server: with many partitions holding a backlog, one turn of the event loop
// takes only about one slice of work (YIELD_AFTER_MS) before timers and sockets run again. Before,
// each partition's loop checked the slice after taking a message and restarted it when it resumed,
// so every waiting partition took one more message in the same turn: with 64 partitions of 256-reading
// batches, turns of 200-400 ms (issue 16's cluster bench).
import { afterAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { pino } from 'pino';
import { busSubject, encodeEnvelope, partitionOf, type BusMessage } from '@citygrid/contract';
import { NatsBus } from '../../server/src/bus/nats-bus.js';
import type { Pipeline } from '../../server/src/pipeline/index.js';
import type { TimeSeriesStore } from '../../server/src/stores/store.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();
const PARTITIONS_USED = 32;
const PER_PARTITION = 12;
const WORK_MS = 2; // each message's processing, as a batch of readings costs

/** Cells in PARTITIONS_USED different partitions. */
function cells(): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < PARTITIONS_USED; i++) {
    const cell = `c-turns-${i}`;
    if (!byPartition.has(partitionOf(cell))) byPartition.set(partitionOf(cell), cell);
  }
  return [...byPartition.values()];
}

describe('the replica\'s partitions share the event loop', () => {
  let bus: NatsBus | null = null;
  afterAll(async () => { await bus?.close(); });

  it('takes about one slice of messages per turn, however many partitions have a backlog', async () => {
    const nc = await nats.connect();
    const js = jetstream(nc);
    await (await import('@citygrid/broker')).ensureStream(nc, { replicas: 1, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000 });
    // a turn of the event loop is counted by an immediate that queues itself again
    let turn = 0;
    let counting = true;
    const tick = () => { turn++; if (counting) setImmediate(tick); };
    setImmediate(tick);
    const takenInTurn = new Map<number, number>();
    let taken = 0;
    // the store is full at first: every partition's loop stops at it with its first message in hand,
    // and all go on at the same moment when it has room (as after an InfluxDB outage)
    let full = true;
    let waiting = 0;
    let room!: () => void;
    const hasRoom = new Promise<void>((r) => { room = r; });
    bus = new NatsBus({
      nc, stream: { replicas: 1, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000 },
      pipeline: {
        run: () => {
          const end = performance.now() + WORK_MS;
          while (performance.now() < end) { /* a message's work */ }
          takenInTurn.set(turn, (takenInTurn.get(turn) ?? 0) + 1);
          taken++;
        },
      } as unknown as Pipeline,
      store: {
        written: () => Promise.resolve(),
        full: () => full,
        whenRoom: () => { waiting++; return hasRoom; },
      } as unknown as TimeSeriesStore,
      logger: pino({ level: 'silent' }), onRefusal: () => undefined, onPartitionsChanged: () => undefined,
      leaseTtlMs: 6_000, leaseRenewMs: 500,
    });
    await bus.start();
    let n = 0;
    for (const cell of cells()) {
      for (let i = 0; i < PER_PARTITION; i++) {
        const key = `d-turns/telemetry/${++n}`;
        const m: BusMessage = {
          channel: 'telemetry', device: 'd-turns', receivedAt: Date.now(), dup: false, key, identifiable: true, stamped: false,
          readings: [{ device: 'd-turns', ts: Date.now(), metrics: { level_cm: n }, seq: n }],
        };
        await js.publish(busSubject(partitionOf(cell)), encodeEnvelope({ m }), { msgID: key });
      }
    }
    await waitFor(() => waiting === PARTITIONS_USED, 'every partition waiting for the store', 30_000, 20);
    await new Promise((r) => setTimeout(r, 300)); // the rest of each partition's pull delivered
    full = false;
    room();
    await waitFor(() => taken === PARTITIONS_USED * PER_PARTITION, 'every message taken', 30_000, 20);
    counting = false;
    const most = Math.max(...takenInTurn.values());
    // a slice is 10 ms: 5 messages of 2 ms, 6 with the one that crosses it; a turn may hold the end
    // of one slice and the start of the next. Before: a whole slice for each of the 32 partitions
    expect(most, `messages taken in one turn of the event loop (per turn: ${[...takenInTurn.values()].join(' ')})`).toBeLessThanOrEqual(12);
  }, 60_000);
});
