// evaluate: hand what was accepted to the alert rules (threshold, rate, absence, forecast, ...).
// The rules are in-memory and synchronous; notifications leave through queues, never blocking here.
import type { BusMessage, Rejection } from '@citygrid/contract';
import type { Observation, RuleDevice } from '../rules/types.js';
import type { Step } from './types.js';

/** What the rules see of an accepted message. */
export function observationsOf(bus: BusMessage, d: RuleDevice): Observation[] {
  const device = { id: d.id, kind: d.kind, grid: d.grid, district: d.district };
  switch (bus.channel) {
    case 'telemetry':
      return bus.readings.map((r) => ({ type: 'reading', device, ts: r.ts, metrics: r.metrics }));
    case 'event':
      return [{ type: 'event', device, ts: bus.event.ts, event: bus.event.type, confidence: bus.event.confidence, count: bus.event.count }];
    case 'status':
      return [{ type: 'status', device, ts: bus.receivedAt, online: bus.online }];
  }
}

/** What the refusals rules see of a refused message of a known device. */
export function refusalObservation(r: Rejection, d: RuleDevice): Observation {
  return { type: 'refusal', device: { id: d.id, kind: d.kind, grid: d.grid, district: d.district }, ts: r.ts, reason: r.reason, count: r.count ?? 1 };
}

export const evaluate: Step = ({ bus, device }, { alerts }) => {
  alerts.observe(observationsOf(bus, device), bus.receivedAt);
};
