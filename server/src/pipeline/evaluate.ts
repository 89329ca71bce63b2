// evaluate: hand what was accepted to the alert rules (threshold, rate, absence, forecast, ...).
// The rules are in-memory and synchronous; notifications leave through queues, never blocking here.
import type { Observation } from '../rules/types.js';
import type { Step } from './types.js';

export const evaluate: Step = (msg, { alerts }) => {
  const a = msg.accepted!;
  const device = { id: a.device.id, kind: a.device.kind, grid: a.device.grid, district: a.device.district };
  let observations: Observation[];
  switch (a.channel) {
    case 'telemetry':
      observations = a.readings.map((r) => ({ type: 'reading', device, ts: r.ts, metrics: r.metrics }));
      break;
    case 'event':
      observations = [{ type: 'event', device, ts: a.event.ts, event: a.event.type, confidence: a.event.confidence, count: a.event.count }];
      break;
    case 'status':
      observations = [{ type: 'status', device, ts: msg.receivedAt, online: a.online }];
  }
  alerts.observe(observations, msg.receivedAt);
};
