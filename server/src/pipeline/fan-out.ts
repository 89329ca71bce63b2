// fanOut: tell the dashboards, through the typed live feed (which coalesces readings per device).
import type { Step } from './types.js';

export const fanOut: Step = (msg, { feed, registry }) => {
  const a = msg.accepted!;
  const { id, kind, grid, district } = a.device;
  if (msg.onlineChanged) {
    feed.deviceStatus({ device: id, grid, district, online: registry.isOnline(id), ts: msg.receivedAt });
  }
  if (a.channel === 'telemetry') {
    const last = a.readings[a.readings.length - 1]!;
    feed.reading({ device: id, grid, district, kind, ts: last.ts, metrics: registry.latestValues(id), condition: registry.conditionOf(id) });
  } else if (a.channel === 'event') {
    const { ts, type, confidence, count, zone } = a.event;
    feed.cameraEvent({ device: id, grid, district, ts, type, confidence, count, ...(zone !== undefined ? { zone } : {}) });
  }
};
