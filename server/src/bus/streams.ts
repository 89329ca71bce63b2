// Cluster mode's own streams beside the bus (alerts, audit): created on first use, left as they are after.
import { DeliverPolicy, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';

const nanos = (ms: number) => ms * 1_000_000;

/**
 * How long one pull for a consumer's messages stands (the server's heartbeats come every half of
 * it). A pull can be lost when the consumer's leader moves to another NATS node, without a word to
 * us: the client notices two missed heartbeats and pulls again (an ordered consumer is made anew).
 * With the library's default (30 s) a consumer stood still for up to a minute after a NATS node
 * died: a partition unconsumed, and the alert view behind, which held up every takeover; with this,
 * for seconds.
 */
export const PULL_EXPIRES_MS = 5_000;

/** JetStream's refusal of a write whose expected last sequence of its subject (a KV key's revision) is not the stream's. */
export const WRONG_LAST_SEQUENCE = 10071;

/**
 * Reads a whole stream in order, from `fromSeq` on (the first entry without it), for as long as
 * `stopped()` says no: each entry to `take`, which must not throw.
 */
export async function followStream(js: JetStreamClient, stream: string, o: { fromSeq?: number; log: Logger; take(m: JsMsg): void; stopped(): boolean }): Promise<void> {
  const consumer = await js.consumers.get(stream, o.fromSeq && o.fromSeq > 1
    ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: o.fromSeq }
    : { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
  void (async () => {
    for await (const m of messages) {
      if (o.stopped()) break;
      o.take(m);
    }
  })().catch((err: Error) => o.log.error({ err: err.message, stream }, 'reading the stream stopped'));
}

/** Creates a file-backed stream that drops its oldest entries past maxAgeMs, unless it exists (another replica may be creating it too). */
export async function ensureLogStream(jsm: JetStreamManager, o: { name: string; subjects: string[]; replicas: number; maxAgeMs: number }): Promise<void> {
  try {
    await jsm.streams.info(o.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || !/not found/i.test(err.message)) throw err;
    await jsm.streams.add({
      name: o.name, subjects: o.subjects, retention: RetentionPolicy.Limits, storage: StorageType.File,
      discard: DiscardPolicy.Old, num_replicas: o.replicas, max_age: nanos(o.maxAgeMs), duplicate_window: nanos(120_000),
    }).catch((e: Error) => {
      if (!/already in use/i.test(e.message)) throw e;
    });
  }
}
