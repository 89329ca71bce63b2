// dedupe: a copy of a message taken within the last two minutes stops here, before it is stored,
// evaluated or sent to dashboards, and is counted (recent-messages.ts says when a copy can be told).
import type { Step } from './types.js';

export const dedupe: Step = ({ bus }, { recent, metrics }) => {
  if (bus.channel === 'status') return; // the same status twice changes nothing
  if (recent.isCopy(bus.key, bus.receivedAt, bus.dup)) {
    metrics.duplicates.inc({ channel: bus.channel });
    return false;
  }
  recent.remember(bus.key, bus.receivedAt, bus.identifiable);
};
