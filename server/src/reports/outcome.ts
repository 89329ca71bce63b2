// What a resident's receipt says was done, when the alert their report joined is closed.
import type { AlertEvent } from '@citygrid/contract';

/**
 * The outcome of a closed alert for the reports that joined it: what the person who handled it wrote
 * (the last "handled" note, for an alert a supervisor verified), else the note of whoever closed it;
 * closed by the system (its condition cleared, its rule removed): that, said as such.
 * `history` is the alert's events, oldest first.
 */
export function reportOutcome(closing: AlertEvent, history: readonly Pick<AlertEvent, 'type' | 'note' | 'actor'>[]): string {
  if (closing.actor === 'system') return `Closed automatically: ${closing.note ?? 'the condition ended'}`;
  const handled = [...history].reverse().find((e) => e.type === 'handled' && e.note?.trim());
  const note = (closing.type === 'verified' ? handled?.note : closing.note) ?? closing.note ?? handled?.note;
  return note?.trim() ? note.trim() : 'Handled and closed';
}
