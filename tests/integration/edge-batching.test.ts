// The cluster edge's sink (broker/src/bus/jetstream.ts) against a real nats-server: under load a
// partition's messages go to the stream together (one `{b}` message per publish, not one per device
// message), each device's message is acknowledged only once the stream has its batch, and a lone
// message still goes alone with JetStream's dedupe id, so a copy of it is stored once.
import { describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { BUS_STREAM, busSubject, decodeEnvelope, partitionOf, type BusMessage } from '@citygrid/contract';
import { ensureStream, JetStreamEdge } from '../../broker/src/bus/jetstream.js';
import type { DeviceEntry } from '../../broker/src/context.js';
import { natsForFile } from '../helpers/nats.js';

const nats = natsForFile();
const CELL = 'c-batch';
const P = partitionOf(CELL);
const device = (i: number): DeviceEntry => ({ id: `wl-b${i}`, kind: 'water_level', secret_hash: '', grid: CELL });
const payload = (seq: number) => Buffer.from(JSON.stringify({ ts: 1_700_000_000_000 + seq, seq, metrics: { level_cm: 20 + (seq % 50) } }));

async function setUp() {
  const nc = await nats.connect();
  await ensureStream(nc, { replicas: 1, maxBytes: 64 * 1024 * 1024, maxAgeMs: 3_600_000 });
  const edge = new JetStreamEdge({ nc, logger: pino({ level: 'silent' }), notifyDevice: () => undefined, cellOf: () => CELL });
  const jsm = await jetstreamManager(nc);
  /** Every stream message on the partition from `seq` on, decoded. */
  const read = async (from: number) => {
    const consumer = await jetstream(nc).consumers.get(BUS_STREAM, { filter_subjects: busSubject(P), deliver_policy: 'by_start_sequence' as never, opt_start_seq: from });
    const out: ReturnType<typeof decodeEnvelope>[] = [];
    for await (const m of await consumer.fetch({ max_messages: 1000, expires: 1000 })) {
      out.push(decodeEnvelope(m.data));
      if (m.info.pending === 0) break;
    }
    return out;
  };
  const lastSeq = async () => (await jsm.streams.info(BUS_STREAM)).state.last_seq;
  const lastBytes = async () => (await jsm.streams.info(BUS_STREAM)).state.bytes;
  return { edge, nc, read, lastSeq, lastBytes };
}

describe('the edge batches a partition\'s messages', () => {
  it('sends 1,000 messages offered at once as a few stream messages of at most 256, all of them in order, each acknowledged after its batch is stored', async () => {
    const { edge, read, lastSeq } = await setUp();
    const from = (await lastSeq()) + 1;
    const offers = Array.from({ length: 1000 }, (_, i) => edge.offer(device(i % 40), 'telemetry', `city/v1/devices/wl-b${i % 40}/telemetry`, payload(i), false));
    expect(edge.pending(), 'none acknowledged before the stream has it').toBe(1000);
    await Promise.all(offers);
    expect(edge.pending()).toBe(0);
    expect(edge.stats.published).toBe(1000);
    const stored = await read(from);
    // two full batches at once (the size cap), then two publishes in flight: what comes meanwhile
    // waits in batches of 256 at most (NATS refuses messages over 1 MB), not one that grows
    expect(stored.length).toBe(edge.stats.streamMessages);
    expect(stored.map((e) => (e && 'b' in e ? e.b.length : 1))).toEqual([256, 256, 256, 232]);
    const members = stored.flatMap((e) => (e && 'b' in e ? e.b : e && 'm' in e ? [e.m] : []));
    expect(members.map((m: BusMessage) => m.channel === 'telemetry' && m.readings[0]!.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('sends a lone message alone, with its dedupe id: a copy of it is stored once', async () => {
    const { edge, read, lastSeq } = await setUp();
    const from = (await lastSeq()) + 1;
    await edge.offer(device(1), 'telemetry', 'city/v1/devices/wl-b1/telemetry', payload(10_001), false);
    await edge.offer(device(1), 'telemetry', 'city/v1/devices/wl-b1/telemetry', payload(10_001), true); // the device sent it again
    const stored = await read(from);
    expect(stored.length).toBe(1);
    expect(stored[0] && 'm' in stored[0] && stored[0].m.device).toBe('wl-b1');
    expect(edge.stats.duplicates).toBe(1);
  });

  it('acknowledges none of a batch the stream refused', async () => {
    const { edge, nc, lastBytes } = await setUp();
    // the stream full (its byte limit, discard-new): JetStream refuses the batch's publish
    await ensureStream(nc, { replicas: 1, maxBytes: (await lastBytes()) + 512, maxAgeMs: 3_600_000 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => edge.offer(device(i), 'telemetry', 't', payload(20_000 + i), false)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill('rejected'));
    expect(edge.stats.failed).toBe(20);
    expect(edge.stats.published).toBe(0);
    expect(edge.pending()).toBe(0);
  });
});
