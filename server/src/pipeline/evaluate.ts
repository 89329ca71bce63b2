// evaluate: hand what was accepted to the alert rules (threshold, rate, absence, forecast, ...).
// The rules are in-memory and synchronous; notifications leave through queues, never blocking here.
import type { Observation } from '../rules/types.js';
import type { Step } from './types.js';

export const evaluate: Step = ({ bus, device: d }, { alerts }) => {
  const device = { id: d.id, kind: d.kind, grid: d.grid, district: d.district };
  let observations: Observation[];
  switch (bus.channel) {
    case 'telemetry':
      observations = bus.readings.map((r) => ({ type: 'reading', device, ts: r.ts, metrics: r.metrics }));
      break;
    case 'event':
      observations = [{ type: 'event', device, ts: bus.event.ts, event: bus.event.type, confidence: bus.event.confidence, count: bus.event.count }];
      break;
    case 'status':
      observations = [{ type: 'status', device, ts: bus.receivedAt, online: bus.online }];
  }
  alerts.observe(observations, bus.receivedAt);
};
