// store: queue accepted data for the time-series store (never waits for it) and update the live state.
import type { StoredReading, TimeSeriesStore } from '../stores/store.js';
import type { PipelineMessage, Step } from './types.js';

/**
 * A message stamped on receipt but carrying seq is only recognisable by its identity: the store
 * keeps that after the readings (same or later transaction), so that a copy the broker sends again
 * after a `kill -9` (committed, not yet acknowledged) is still known when the server is back. A
 * message with its own ts needs nothing: the store's key makes writing it twice harmless.
 */
function keepIdentity({ bus }: PipelineMessage, ts: TimeSeriesStore): void {
  if (bus.stamped && bus.identifiable) ts.rememberMessage?.(bus.key, bus.receivedAt);
}

export const store: Step = (msg, { store: ts, registry, metrics }) => {
  const { bus } = msg;
  const { id, kind, grid, district } = msg.device;
  switch (bus.channel) {
    case 'telemetry': {
      // one fixed object shape (no spread): cheaper to build and to read in the store's hot loop
      const rows: StoredReading[] = new Array(bus.readings.length);
      for (let i = 0; i < bus.readings.length; i++) {
        const r = bus.readings[i]!;
        rows[i] = r.seq === undefined
          ? { device: r.device, ts: r.ts, metrics: r.metrics, kind, grid, district }
          : { device: r.device, ts: r.ts, metrics: r.metrics, seq: r.seq, kind, grid, district };
        metrics.ingestLag.observe(Math.max(0, bus.receivedAt - r.ts) / 1000);
      }
      ts.writeReadings(rows);
      keepIdentity(msg, ts);
      msg.onlineChanged = registry.applyReadings(id, bus.readings, bus.receivedAt).cameOnline;
      metrics.readingsAccepted.inc(bus.readings.length);
      return;
    }
    case 'event':
      ts.writeEvents([{ ...bus.event, grid, district }]);
      keepIdentity(msg, ts);
      msg.onlineChanged = registry.touch(id, bus.receivedAt);
      return;
    case 'status':
      msg.onlineChanged = registry.setStatus(id, bus.online);
  }
};
