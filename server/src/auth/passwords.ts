// Password checks against the bcrypt hashes in people.yaml. Unknown users cost the same bcrypt work as
// known ones, so timing does not tell which usernames exist: they are compared against a dummy hash of
// the highest cost among the loaded hashes (computed once at start; a city hashed at cost 12 gets a
// cost-12 dummy, not a cheaper fixed one). The compares themselves run where `compare` says: in
// production the worker pool (bcrypt-pool.ts), off the event loop.
import { randomBytes } from 'node:crypto';
import { getRounds } from 'bcryptjs';
import type { Person } from '@citygrid/contract';

/** Longer input is refused before hashing (bcrypt reads 72 bytes; this bounds the work per request). */
export const MAX_PASSWORD_LENGTH = 1024;
/** bcrypt's usual cost, for a city without users. */
const DEFAULT_COST = 10;
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export type Compare = (password: string, hash: string) => Promise<boolean>;
/** bcrypt's hash at a cost (production: in the worker pool, off the event loop). */
export type Hash = (password: string, rounds: number) => Promise<string>;

/**
 * A well-formed bcrypt hash of the highest cost among `people`'s hashes: random salt and digest (no
 * hashing needed: compare does the full work of its cost for any well-formed hash, and nobody knows a
 * password for this one). With mixed costs the dummy takes the highest, so an unknown username is never
 * cheaper to check than a known one (a user hashed at a lower cost is still faster: rehash them).
 */
export function dummyHashFor(people: readonly Pick<Person, 'password_hash'>[]): string {
  let cost = 0;
  for (const p of people) {
    try {
      cost = Math.max(cost, getRounds(p.password_hash));
    } catch { /* not a bcrypt hash: people.yaml validation reports those */ }
  }
  const tail = Array.from(randomBytes(53), (b) => BCRYPT_ALPHABET[b & 63]).join('');
  return `$2b$${String(cost || DEFAULT_COST).padStart(2, '0')}$${tail}`;
}

export class Passwords {
  /** Compared against for unknown usernames. */
  readonly dummyHash: string;

  constructor(people: readonly Pick<Person, 'password_hash'>[], readonly compare: Compare, private readonly hasher?: Hash) {
    this.dummyHash = dummyHashFor(people);
  }

  /**
   * A bcrypt hash for a new password, at the cost of the dummy (the highest in people.yaml at start, or
   * bcrypt's usual 10), so a new user is never cheaper to guess than the others.
   */
  async hash(password: string): Promise<string> {
    if (!this.hasher) throw new Error('no password hasher configured');
    return this.hasher(password, getRounds(this.dummyHash));
  }

  /** True only for a known person and their password; may reject (e.g. PoolBusyError). */
  async verify(person: Person | undefined, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    const ok = await this.compare(password, person?.password_hash ?? this.dummyHash);
    return ok && person !== undefined;
  }
}
