// fanOut: tell the dashboards, through the typed live feed (which coalesces readings per device).
import type { Step } from './types.js';

export const fanOut: Step = (msg, { feed, registry }) => {
  const { bus } = msg;
  const { id, kind, grid, district } = msg.device;
  if (msg.onlineChanged) {
    feed.deviceStatus({ device: id, grid, district, online: registry.isOnline(id), ts: bus.receivedAt });
  }
  if (bus.channel === 'telemetry') {
    const last = bus.readings[bus.readings.length - 1]!;
    feed.reading({ device: id, grid, district, kind, ts: last.ts, metrics: registry.latestValues(id), condition: registry.conditionOf(id) });
  } else if (bus.channel === 'event') {
    const { ts, type, confidence, count, zone } = bus.event;
    feed.cameraEvent({ device: id, grid, district, ts, type, confidence, count, ...(zone !== undefined ? { zone } : {}) });
  }
};
