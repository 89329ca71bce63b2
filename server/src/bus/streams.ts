// Cluster mode's own streams beside the bus (alerts, audit): created on first use, left as they are after.
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';

const nanos = (ms: number) => ms * 1_000_000;

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
