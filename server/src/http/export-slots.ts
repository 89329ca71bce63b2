// How many CSV exports are written at once: each holds a store read and a slow client's socket for as
// long as the file takes, so a user gets a few at a time and the server a few more; one more is refused
// with 429 CG_EXPORT_BUSY and a Retry-After, not queued.
import { Errors } from '../errors.js';

/** Exports one user may have running at once. */
export const EXPORTS_PER_USER = 2;
/** Exports this server writes at once, for everyone. */
export const EXPORTS_AT_ONCE = 8;
const RETRY_AFTER_S = 30;

export class ExportSlots {
  private total = 0;
  private readonly byUser = new Map<string, number>();

  constructor(private readonly perUser = EXPORTS_PER_USER, private readonly atOnce = EXPORTS_AT_ONCE) {}

  /** A slot for this user's export, or 429 CG_EXPORT_BUSY; call the returned function once when it ends. */
  take(username: string): () => void {
    const mine = this.byUser.get(username) ?? 0;
    if (mine >= this.perUser) {
      throw Errors.EXPORT_BUSY(`${username} has ${mine} exports being written; at most ${this.perUser} at once: wait for one to finish`).withHeader('Retry-After', String(RETRY_AFTER_S));
    }
    if (this.total >= this.atOnce) {
      throw Errors.EXPORT_BUSY(`the server is writing ${this.total} exports, the most it writes at once; try again in ${RETRY_AFTER_S} s`).withHeader('Retry-After', String(RETRY_AFTER_S));
    }
    this.total++;
    this.byUser.set(username, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byUser.get(username) ?? 1) - 1;
      if (left > 0) this.byUser.set(username, left);
      else this.byUser.delete(username);
    };
  }
}
