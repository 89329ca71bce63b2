// dedupe: a copy of a message taken within the last two minutes stops here, before it is stored,
// evaluated or sent to dashboards, and is counted (recent-messages.ts says when a copy can be told).
import { RecentMessages } from './recent-messages.js';
import type { Step } from './types.js';

export const dedupe: Step = (msg, { recent, metrics }) => {
  const a = msg.accepted!;
  if (a.channel === 'status') return; // the same status twice changes nothing
  const key = RecentMessages.key(a.device.id, a.channel, msg.payload);
  if (recent.isCopy(key, msg.receivedAt, msg.dup)) {
    metrics.duplicates.inc({ channel: a.channel });
    return false;
  }
  recent.remember(key, msg.receivedAt, msg.identifiable === true);
  msg.key = key;
};
