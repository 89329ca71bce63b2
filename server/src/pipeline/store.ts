// store: queue accepted data for the time-series store (never waits for it) and update the live state.
import type { Step } from './types.js';

export const store: Step = (msg, { store: ts, registry, metrics }) => {
  const a = msg.accepted!;
  const { id, kind, grid, district } = a.device;
  switch (a.channel) {
    case 'telemetry':
      ts.writeReadings(a.readings.map((r) => ({ ...r, kind, grid, district })));
      msg.onlineChanged = registry.applyReadings(id, a.readings, msg.receivedAt).cameOnline;
      metrics.readingsAccepted.inc(a.readings.length);
      for (const r of a.readings) metrics.ingestLag.observe(Math.max(0, msg.receivedAt - r.ts) / 1000);
      return;
    case 'event':
      ts.writeEvents([{ ...a.event, grid, district }]);
      msg.onlineChanged = registry.touch(id, msg.receivedAt);
      return;
    case 'status':
      msg.onlineChanged = registry.setStatus(id, a.online);
  }
};
